// The list presenter over a real database: order, formatted prices, labels, the category's
// icon and the main photo's thumbnail, errors.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import java.awt.image.BufferedImage
import java.io.File
import javax.imageio.ImageIO
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.Category
import uniffi.fundi.Language
import uniffi.fundi.NewDraft

class DraftListPresenterTest {

    private fun input(title: String, priceMinor: Long) =
        NewDraft(title, "", listOf("sisal"), Category.BASKETS, priceMinor, 4u)

    @Test
    fun emptyDatabaseShowsTheEmptyState() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val state = DraftListPresenter(phone.photos(), Language.ENGLISH).load()
        assertTrue(state.isEmpty)
        assertEquals(emptyList<DraftRow>(), state.rows)
        phone.closeDatabase()
    }

    @Test
    fun rowsAreNewestFirstWithFormattedPrices() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val older = drafts.createDraft(input("Kiondo basket", 125_000))
        val newer = drafts.createDraft(input("Beaded bracelet", 45_050))
        val state = DraftListPresenter(phone.photos(), Language.ENGLISH).load()
        assertFalse(state.isEmpty)
        assertEquals(listOf(newer.id, older.id), state.rows.map { it.id })
        val row = state.rows.last()
        assertEquals("Kiondo basket", row.title)
        assertEquals("KSh 1,250", row.price)
        assertEquals("KSh 450.50", state.rows.first().price)
        assertEquals(UiText(StringKey.ROW_WEEKLY_CAPACITY, 4L), row.weeklyCapacity)
        assertEquals(StringKey.CATEGORY_BASKETS, row.category)
        assertEquals(Category.BASKETS, row.categoryIcon)
        assertEquals(StringKey.STATE_DRAFT, row.state)
        assertNull(row.thumbnailPath, "no photo: the row shows the draft icon")
        assertEquals(0, row.photoCount)
        phone.closeDatabase()
    }

    @Test
    fun submittedDraftsShowTheirState() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val d = drafts.createDraft(input("Soapstone bowl", 90_000))
        drafts.submitDraft(d.id)
        val row = DraftListPresenter(phone.photos(), Language.SWAHILI).load().rows.single()
        assertEquals(StringKey.STATE_SUBMITTED, row.state)
        phone.closeDatabase()
    }

    @Test
    fun aClosedStoreGivesAMessageNotACrash() {
        val phone = tempPhone()
        val photos = phone.photos()
        phone.closeDatabase()
        val state = DraftListPresenter(photos, Language.ENGLISH).load()
        assertEquals(UiText(StringKey.ERROR_CLOSED), state.message)
        assertFalse(state.isEmpty)
    }

    @Test
    fun aRowShowsItsMainPhotosThumbnailAndFollowsAReorder() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val photos = phone.photos()
        val bowl = drafts.createDraft(NewDraft("Olive wood bowl", "", listOf("olive wood"), Category.CARVINGS, 90_000, 2u))
        val first = photos.addDraftPhoto(bowl.id, picture(phone, 1))
        val second = photos.addDraftPhoto(bowl.id, picture(phone, 2))
        val presenter = DraftListPresenter(photos, Language.ENGLISH)

        val row = presenter.load().rows.single()
        assertEquals(first.thumbPath, row.thumbnailPath)
        assertTrue(File(row.thumbnailPath!!).isFile)
        assertEquals(2, row.photoCount)
        assertEquals(Category.CARVINGS, row.categoryIcon)
        assertEquals(StringKey.CATEGORY_CARVINGS, row.category)

        photos.setPrimaryDraftPhoto(bowl.id, second.hash)
        assertEquals(second.thumbPath, presenter.load().rows.single().thumbnailPath)
        photos.removeDraftPhoto(bowl.id, second.hash)
        photos.removeDraftPhoto(bowl.id, first.hash)
        assertNull(presenter.load().rows.single().thumbnailPath)
        phone.closeDatabase()
    }

    /** A small JPEG that differs by `n`. */
    private fun picture(phone: TestPhone, n: Int): String {
        val image = BufferedImage(96, 64, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until 64) for (x in 0 until 96) {
            val v = (x * (n + 2) + y) % 256
            image.setRGB(x, y, (v shl 16) or (v shl 8) or v)
        }
        val file = phone.dir.resolve("picture-$n.jpg").toFile()
        assertTrue(ImageIO.write(image, "jpg", file), "no JPEG writer")
        return file.path
    }
}
