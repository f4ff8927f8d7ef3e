// The mentor's review with photos, over the real core and a real depot: a mentee's draft shows
// its photos "on the way" until the artisan's phone has sent them, then the thumbnail fetched
// on any network, and the photo itself only on Wi-Fi while the data saver is on (the core
// decides, from the network Android reports and the setting).
package ke.fundi.app.logic

import java.io.File
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.Category
import uniffi.fundi.NewDraft
import uniffi.fundi.Role

class ReviewPresenterTest {

    private val basket = NewDraft("Kiondo basket", "Sisal, natural dyes", listOf("sisal"), Category.BASKETS, 250_000, 4u)

    @Test
    fun aMenteesPhotosAreOnTheWayThenTheThumbnailThenThePhotoOnWifi() = withDepot { depot ->
        val artisan = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        val mentor = depot.enrolledPhone("mentor", Role.MENTOR)
        val photos = artisan.photos()
        val d = artisan.drafts.createDraft(basket)
        val added = photos.addDraftPhoto(d.id, fixture("camera-flower-3mp.jpg").path)
        artisan.drafts.submitDraft(d.id)
        artisan.sync.syncNow(null)

        mentor.sync.syncNow(null)
        val review = ReviewPresenter(mentor.sync, mentor.reviewPhotos())
        val before = review.fetchPhotos(unmetered = false).rows.single { it.id == d.id }
        assertNull(before.thumbnail)
        assertEquals(UiText(StringKey.REVIEW_PHOTOS_ON_THE_WAY, 1L, 1L), before.photoNote)

        // The artisan's phone on mobile data sends the thumbnail only.
        photos.uploadPhotos(false)
        // Before fetching, the mentor's phone can say what it will bring: the one thumbnail.
        val coming = checkNotNull(mentor.reviewPhotos().syncEstimate(false, true).reviewPhotosIn) { "the depot was asked" }
        assertEquals(1u, coming.items)
        assertTrue(coming.bytes >= added.thumbBytes && coming.bytes < added.thumbBytes + 1000u, "$coming")
        assertNull(mentor.reviewPhotos().syncEstimate(false, false).reviewPhotosIn, "the depot not asked")
        val metered = review.fetchPhotos(unmetered = false).rows.single { it.id == d.id }
        assertEquals(UiText(StringKey.REVIEW_PHOTOS, 1L), metered.photoNote)
        val thumbnail = checkNotNull(metered.thumbnail) { "the thumbnail was fetched" }
        assertArrayEquals(File(added.thumbPath).readBytes(), File(thumbnail).readBytes())
        val shown = review.photosOf(d.id).single()
        assertEquals(thumbnail, bestFileOf(shown), "the thumbnail until the photo is fetched")

        // The artisan on Wi-Fi sends the photo; the mentor, still on mobile data with the data
        // saver on, waits for it.
        photos.uploadPhotos(true)
        review.fetchPhotos(unmetered = false)
        assertNull(review.photosOf(d.id).single().full)
        // She turns the data saver off: the photo itself, byte for byte what the artisan's
        // phone prepared, on mobile data.
        mentor.sync.setDataSaver(false)
        review.fetchPhotos(unmetered = false)
        val full = checkNotNull(review.photosOf(d.id).single().full) { "the photo was fetched with the data saver off" }
        assertArrayEquals(File(added.path).readBytes(), File(full).readBytes())

        // Settings: the mentees' photos kept, counted and cleared; the artisan has none to show.
        val settings = SettingsPresenter(mentor.sync, mentor.reviewPhotos())
        val kept = added.bytes + added.thumbBytes
        assertEquals(UiText(StringKey.STORAGE_REVIEW_PHOTOS, sizeText(kept)), settings.storage(1000, 0).reviewPhotos)
        assertEquals(UiText(StringKey.STORAGE_USED, sizeText(kept + 1000u), sizeText(1000u), sizeText(0u)), settings.storage(1000, 0).used)
        val cleared = settings.clearReviewPhotos(1000, 0)
        assertEquals(UiText(StringKey.STORAGE_REVIEW_PHOTOS, sizeText(0u)), cleared.reviewPhotos)
        assertFalse(cleared.canClearReviewPhotos)
        assertNull(review.photosOf(d.id).single().thumbnail, "cleared: fetched again at the next sync")
        assertNull(SettingsPresenter(artisan.sync, artisan.reviewPhotos()).storage(0, 0).reviewPhotos)
        artisan.closeDatabase()
        mentor.closeDatabase()
    }

    @Test
    fun offlineFetchingIsNoErrorAndADraftWithoutPhotosSaysNothingOfThem() = withDepot { depot ->
        val artisan = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        val mentor = depot.enrolledPhone("mentor", Role.MENTOR)
        val bare = artisan.drafts.createDraft(basket)
        artisan.drafts.submitDraft(bare.id)
        val pictured = artisan.drafts.createDraft(basket.copy(title = "Woven tray"))
        artisan.photos().addDraftPhoto(pictured.id, fixture("camera-flower-3mp.jpg").path)
        artisan.drafts.submitDraft(pictured.id)
        artisan.sync.syncNow(null)
        mentor.sync.syncNow(null)
        val rows = ReviewPresenter(mentor.sync, mentor.reviewPhotos()).fetchPhotos(unmetered = true).rows
        assertNull(rows.single { it.id == bare.id }.photoNote)
        assertEquals(0, rows.single { it.id == bare.id }.photos)
        depot.close()
        // The depot is gone: fetching the photo on the way fails quietly, the list still shows.
        val offline = ReviewPresenter(mentor.sync, mentor.reviewPhotos()).fetchPhotos(unmetered = true)
        assertNull(offline.message)
        assertEquals(UiText(StringKey.REVIEW_PHOTOS_ON_THE_WAY, 1L, 1L), offline.rows.single { it.id == pictured.id }.photoNote)
        artisan.closeDatabase()
        mentor.closeDatabase()
    }
}
