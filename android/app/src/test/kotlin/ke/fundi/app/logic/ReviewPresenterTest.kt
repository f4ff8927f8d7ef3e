// The mentor's review with photos, over the real core and a real depot: a mentee's draft shows
// its photos "on the way" until the artisan's phone has sent them, then the thumbnail fetched
// on any network, and the photo itself only when full photos are allowed (Wi-Fi).
package ke.fundi.app.logic

import java.awt.image.BufferedImage
import java.io.File
import java.nio.file.Path
import javax.imageio.ImageIO
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.Category
import uniffi.fundi.NewDraft
import uniffi.fundi.Role

class ReviewPresenterTest {

    private val basket = NewDraft("Kiondo basket", "Sisal, natural dyes", listOf("sisal"), Category.BASKETS, 250_000, 4u)

    /** A camera-like JPEG with sharp edges (nothing for the coach to say). */
    private fun photo(dir: Path): String {
        val image = BufferedImage(900, 700, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until 700) for (x in 0 until 900) {
            val v = if ((x / 9 + y / 9) % 2 == 0) 60 else 200
            image.setRGB(x, y, (v shl 16) or ((v / 2) shl 8) or (255 - v))
        }
        val file = dir.resolve("camera.jpg").toFile()
        assertTrue(ImageIO.write(image, "jpg", file))
        return file.path
    }

    @Test
    fun aMenteesPhotosAreOnTheWayThenTheThumbnailThenThePhotoOnWifi() = withDepot { depot ->
        val artisan = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        val mentor = depot.enrolledPhone("mentor", Role.MENTOR)
        val photos = artisan.photos()
        val d = artisan.drafts.createDraft(basket)
        val added = photos.addDraftPhoto(d.id, photo(artisan.dir))
        artisan.drafts.submitDraft(d.id)
        artisan.sync.syncNow(null)

        mentor.sync.syncNow(null)
        val review = ReviewPresenter(mentor.sync, mentor.reviewPhotos())
        val before = review.fetchPhotos(photosAllowed = false).rows.single { it.id == d.id }
        assertNull(before.thumbnail)
        assertEquals(UiText(StringKey.REVIEW_PHOTOS_ON_THE_WAY, 1L, 1L), before.photoNote)

        // The artisan's phone on mobile data sends the thumbnail only.
        photos.uploadPhotos(false)
        val metered = review.fetchPhotos(photosAllowed = false).rows.single { it.id == d.id }
        assertEquals(UiText(StringKey.REVIEW_PHOTOS, 1L), metered.photoNote)
        val thumbnail = checkNotNull(metered.thumbnail) { "the thumbnail was fetched" }
        assertArrayEquals(File(added.thumbPath).readBytes(), File(thumbnail).readBytes())
        val shown = review.photosOf(d.id).single()
        assertEquals(thumbnail, bestFileOf(shown), "the thumbnail until the photo is fetched")

        // Both on Wi-Fi: the photo itself, byte for byte what the artisan's phone prepared.
        photos.uploadPhotos(true)
        review.fetchPhotos(photosAllowed = true)
        val full = checkNotNull(review.photosOf(d.id).single().full) { "the photo was fetched on Wi-Fi" }
        assertArrayEquals(File(added.path).readBytes(), File(full).readBytes())
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
        artisan.photos().addDraftPhoto(pictured.id, photo(artisan.dir))
        artisan.drafts.submitDraft(pictured.id)
        artisan.sync.syncNow(null)
        mentor.sync.syncNow(null)
        val rows = ReviewPresenter(mentor.sync, mentor.reviewPhotos()).fetchPhotos(true).rows
        assertNull(rows.single { it.id == bare.id }.photoNote)
        assertEquals(0, rows.single { it.id == bare.id }.photos)
        depot.close()
        // The depot is gone: fetching the photo on the way fails quietly, the list still shows.
        val offline = ReviewPresenter(mentor.sync, mentor.reviewPhotos()).fetchPhotos(true)
        assertNull(offline.message)
        assertEquals(UiText(StringKey.REVIEW_PHOTOS_ON_THE_WAY, 1L, 1L), offline.rows.single { it.id == pictured.id }.photoNote)
        artisan.closeDatabase()
        mentor.closeDatabase()
    }
}
