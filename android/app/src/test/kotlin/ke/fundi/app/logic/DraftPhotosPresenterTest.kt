// The editor's photo section over a real database and photo library: adding with coaching,
// the main photo, removing, the core's limit, read-only drafts and photos it refuses.
package ke.fundi.app.logic

import java.awt.image.BufferedImage
import java.io.File
import java.nio.file.Files
import java.nio.file.Path
import javax.imageio.ImageIO
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.Advice
import uniffi.fundi.Category
import uniffi.fundi.DraftField
import uniffi.fundi.Language
import uniffi.fundi.maxPhotosPerDraft

class DraftPhotosPresenterTest {

    private val good = DraftForm(
        title = "Kiondo basket",
        description = "Woven sisal with leather straps",
        materials = "sisal, leather",
        category = Category.BASKETS,
        price = "1,250",
        weeklyCapacity = "4",
    )

    private class Fixture(val phone: TestPhone) {
        val drafts = phone.drafts
        val dir: Path = phone.dir
        val service = phone.photos()
        val photos = DraftPhotosPresenter(drafts, service)
        val editor = DraftEditorPresenter(drafts, Language.ENGLISH)
    }

    private fun fixture(): Fixture = Fixture(tempPhone())

    /** A camera-like JPEG: `luma(x, y)` gives each pixel's grey level. */
    private fun jpeg(dir: Path, name: String, width: Int, height: Int, luma: (Int, Int) -> Int): String {
        val image = BufferedImage(width, height, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until height) for (x in 0 until width) {
            val v = luma(x, y).coerceIn(0, 255)
            image.setRGB(x, y, (v shl 16) or (v shl 8) or v)
        }
        val file = dir.resolve(name).toFile()
        assertTrue(ImageIO.write(image, "jpg", file), "no JPEG writer")
        return file.path
    }

    /** Sharp edges, mid-grey on average, large enough: nothing to coach. */
    private fun sharpPhoto(dir: Path, name: String = "sharp.jpg") =
        jpeg(dir, name, 800, 600) { x, y -> if ((x / 8 + y / 8) % 2 == 0) 70 else 190 }

    /** A small, dark, featureless picture: blurry, too dark and too small at once. */
    private fun poorPhoto(dir: Path) = jpeg(dir, "poor.jpg", 300, 200) { _, _ -> 20 }

    /** Small pictures that differ from each other (the core keeps one copy of the same bytes). */
    private fun distinctPhoto(dir: Path, n: Int) = jpeg(dir, "small-$n.jpg", 96, 64) { x, _ -> (x * (n + 1)) % 256 }

    @Test
    fun anUnsavedDraftAddsPhotosOnlyAfterSaving() {
        val f = fixture()
        val unsaved = f.photos.load(null, editable = true)
        assertEquals(UiText(StringKey.PHOTOS_SAVE_FIRST), unsaved.hint)
        assertTrue(unsaved.canAdd)
        assertTrue(unsaved.tiles.isEmpty())
        // A draft the editor could not open (gone, or the database failed) offers no add.
        val unopened = f.photos.load(null, editable = false)
        assertFalse(unopened.canAdd)
        assertNull(unopened.hint)

        // "Take photo" / "Choose a photo" save first; a form the core refuses opens nothing
        // and saves nothing.
        val blank = f.editor.blank()
        val refused = f.editor.saveForPhoto(blank, good.copy(title = ""), PhotoSource.CAMERA)
        assertNull(refused.pickPhoto)
        assertFalse(refused.saved)
        assertEquals(UiText(StringKey.ERROR_TITLE_REQUIRED), refused.fieldErrors[DraftField.TITLE])
        assertEquals(0, f.drafts.listDrafts().size)

        val saved = f.editor.saveForPhoto(refused, good, PhotoSource.CAMERA)
        assertEquals(PhotoSource.CAMERA, saved.pickPhoto)
        assertTrue(saved.saved)
        assertEquals(blank.draftId, saved.draftId)
        val id = saved.draftId
        assertEquals(UiText(StringKey.SAVED), saved.notice)
        val empty = f.photos.load(id, saved.editable)
        assertEquals(UiText(StringKey.PHOTOS_EMPTY), empty.hint)
        assertTrue(empty.canAdd)
        assertNull(f.editor.save(saved, good).pickPhoto, "a plain save never opens the camera or the picker")
        // Saved and unchanged: straight to the gallery, nothing written again.
        val stamp = f.drafts.getDraft(id).updatedAtMs
        val again = f.editor.saveForPhoto(saved, saved.form, PhotoSource.GALLERY)
        assertEquals(PhotoSource.GALLERY, again.pickPhoto)
        assertNull(again.notice)
        assertEquals(stamp, f.drafts.getDraft(id).updatedAtMs)
        assertEquals(1, f.drafts.listDrafts().size)
        f.phone.closeDatabase()
    }

    @Test
    fun aPoorPhotoIsCoachedAfterAddingAndUnderItsThumbnail() {
        val f = fixture()
        val id = f.editor.save(f.editor.blank(), good).draftId
        val added = f.photos.add(id, poorPhoto(f.dir))
        assertNull(added.message)
        val expected = listOf(
            UiText(StringKey.ADVICE_BLURRY), UiText(StringKey.ADVICE_TOO_DARK), UiText(StringKey.ADVICE_TOO_SMALL),
        )
        assertEquals(expected, added.coaching)
        assertEquals(UiText(StringKey.PHOTO_ADDED), added.notice)
        val tile = added.tiles.single()
        assertEquals(expected, tile.advice)
        assertTrue(tile.primary, "the only photo is the main one")
        assertFalse(tile.canMakePrimary)
        assertTrue(tile.canRemove)
        assertTrue(File(tile.thumbnailPath).isFile, "the thumbnail is on disk")

        // Reopening the editor shows the same advice under the photo, but does not coach again.
        val reopened = f.photos.load(id, editable = true)
        assertEquals(expected, reopened.tiles.single().advice)
        assertTrue(reopened.coaching.isEmpty())
        assertNull(reopened.notice)
        f.phone.closeDatabase()
    }

    @Test
    fun aGoodPhotoNeedsNoCoaching() {
        val f = fixture()
        val id = f.editor.save(f.editor.blank(), good).draftId
        val added = f.photos.add(id, sharpPhoto(f.dir))
        assertNull(added.message)
        assertEquals(emptyList<UiText>(), added.coaching)
        assertEquals(emptyList<UiText>(), added.tiles.single().advice)
        assertEquals(UiText(StringKey.PHOTO_ADDED), added.notice)
        assertEquals(UiText(StringKey.PHOTOS_MAIN_HINT), added.hint)
        f.phone.closeDatabase()
    }

    @Test
    fun everyPieceOfAdviceHasItsOwnLine() {
        val keys = Advice.values().map { adviceText(it).key }
        assertEquals(Advice.values().size, keys.toSet().size)
        assertEquals(StringKey.ADVICE_OVEREXPOSED, adviceText(Advice.OVEREXPOSED).key)
        assertTrue(keys.all { it.resName.startsWith("advice_") })
    }

    @Test
    fun theFirstPhotoIsTheMainOneUntilAnotherIsMadeMain() {
        val f = fixture()
        val id = f.editor.save(f.editor.blank(), good).draftId
        val hashes = (0 until 3).map { f.photos.add(id, distinctPhoto(f.dir, it)).tiles.last().hash }
        assertEquals(3, hashes.toSet().size)

        val listed = f.photos.load(id, editable = true)
        assertEquals(hashes, listed.tiles.map { it.hash })
        assertEquals(listOf(true, false, false), listed.tiles.map { it.primary })
        assertEquals(listOf(false, true, true), listed.tiles.map { it.canMakePrimary })

        val changed = f.photos.makePrimary(id, hashes[2])
        assertNull(changed.message)
        assertEquals(listOf(hashes[2], hashes[0], hashes[1]), changed.tiles.map { it.hash })
        assertEquals(listOf(true, false, false), changed.tiles.map { it.primary })
        assertEquals(hashes[2], f.service.draftPhotos(id).first { it.primary }.hash)
        f.phone.closeDatabase()
    }

    @Test
    fun removingTheMainPhotoPromotesTheNext() {
        val f = fixture()
        val id = f.editor.save(f.editor.blank(), good).draftId
        val first = f.photos.add(id, distinctPhoto(f.dir, 1)).tiles.single()
        val second = f.photos.add(id, distinctPhoto(f.dir, 2)).tiles.last()

        val removed = f.photos.remove(id, first.hash)
        assertEquals(UiText(StringKey.PHOTO_REMOVED), removed.notice)
        assertEquals(listOf(second.hash), removed.tiles.map { it.hash })
        assertTrue(removed.tiles.single().primary)
        assertFalse(File(first.thumbnailPath).exists(), "nothing else refers to it: its files go")

        val none = f.photos.remove(id, second.hash)
        assertTrue(none.tiles.isEmpty())
        assertEquals(UiText(StringKey.PHOTOS_EMPTY), none.hint)

        // Removing it again (e.g. a double tap) says why and keeps the list.
        val again = f.photos.remove(id, second.hash)
        assertEquals(UiText(StringKey.ERROR_NOT_FOUND), again.message)
        assertNull(again.notice)
        assertTrue(again.canAdd)
        f.phone.closeDatabase()
    }

    @Test
    fun aFullDraftSaysSoAndKeepsItsPhotos() {
        val f = fixture()
        val id = f.editor.save(f.editor.blank(), good).draftId
        val limit = maxPhotosPerDraft().toInt()
        var state = f.photos.load(id, editable = true)
        for (n in 0 until limit) {
            assertTrue(state.canAdd, "photo ${n + 1} of $limit can still be added")
            state = f.photos.add(id, distinctPhoto(f.dir, n))
            assertNull(state.message)
        }
        // Full: the editor stops offering "add" and says why.
        assertEquals(limit, state.tiles.size)
        assertFalse(state.canAdd)
        assertEquals(UiText(StringKey.PHOTOS_FULL), state.hint)
        // An add that comes anyway (a second tap in flight) is the core's refusal, explained.
        val refused = f.photos.add(id, distinctPhoto(f.dir, limit))
        assertEquals(UiText(StringKey.PHOTOS_FULL), refused.message)
        assertEquals(limit, refused.tiles.size)
        assertTrue(refused.coaching.isEmpty())
        // After a removal, adding is offered again.
        assertTrue(f.photos.remove(id, refused.tiles.last().hash).canAdd)
        assertEquals(limit - 1, f.service.draftPhotos(id).size)
        f.phone.closeDatabase()
    }

    @Test
    fun aSubmittedDraftShowsItsPhotosButCannotChangeThem() {
        val f = fixture()
        val id = f.editor.save(f.editor.blank(), good).draftId
        val hash = f.photos.add(id, distinctPhoto(f.dir, 1)).tiles.single().hash
        f.drafts.submitDraft(id)

        val shown = f.photos.load(id, editable = false)
        assertFalse(shown.canAdd)
        assertNull(shown.hint)
        val tile = shown.tiles.single()
        assertFalse(tile.canRemove)
        assertFalse(tile.canMakePrimary)

        val added = f.photos.add(id, distinctPhoto(f.dir, 2))
        assertEquals(UiText(StringKey.ERROR_NOT_ALLOWED), added.message)
        assertFalse(added.canAdd)
        assertEquals(listOf(hash), added.tiles.map { it.hash })

        val removed = f.photos.remove(id, hash)
        assertEquals(UiText(StringKey.ERROR_NOT_ALLOWED), removed.message)
        assertEquals(listOf(hash), f.service.draftPhotos(id).map { it.hash })
        f.phone.closeDatabase()
    }

    @Test
    fun filesThatAreNotPhotosAreRefusedWithTheirReason() {
        val f = fixture()
        val id = f.editor.save(f.editor.blank(), good).draftId
        val kept = f.photos.add(id, distinctPhoto(f.dir, 1)).tiles.single().hash

        val text = f.dir.resolve("notes.jpg").also { Files.writeString(it, "not a picture at all") }
        val notImage = f.photos.add(id, text.toString())
        assertEquals(UiText(StringKey.ERROR_PHOTO_NOT_AN_IMAGE), notImage.message)
        assertEquals(listOf(kept), notImage.tiles.map { it.hash }, "the photos already added stay listed")
        assertTrue(notImage.canAdd)
        assertNull(notImage.notice)

        val empty = f.dir.resolve("empty.jpg").also { Files.write(it, ByteArray(0)) }
        assertEquals(UiText(StringKey.ERROR_PHOTO_EMPTY), f.photos.add(id, empty.toString()).message)
        assertEquals(1, f.service.draftPhotos(id).size)
        f.phone.closeDatabase()
    }

    @Test
    fun aCopyThatFailedSaysWhy() {
        val f = fixture()
        val id = f.editor.save(f.editor.blank(), good).draftId
        f.photos.add(id, distinctPhoto(f.dir, 1))
        val full = f.photos.copyFailed(id, outOfSpace = true)
        assertEquals(UiText(StringKey.ERROR_STORAGE_FULL), full.message)
        assertEquals(1, full.tiles.size)
        assertEquals(UiText(StringKey.ERROR_PHOTO_UNREADABLE), f.photos.copyFailed(id, outOfSpace = false).message)
        f.phone.closeDatabase()
    }

    @Test
    fun aDeletedDraftHasNoPhotoSection() {
        val f = fixture()
        val id = f.editor.save(f.editor.blank(), good).draftId
        f.drafts.deleteDraft(id)
        val gone = f.photos.load(id, editable = true)
        assertEquals(UiText(StringKey.ERROR_NOT_FOUND), gone.message)
        assertFalse(gone.canAdd)
        assertEquals(UiText(StringKey.ERROR_NOT_FOUND), f.photos.add(id, distinctPhoto(f.dir, 1)).message)
        f.phone.closeDatabase()
    }

    @Test
    fun photosMoveUpAndDownAndTheEndsCannotMoveFurther() {
        val f = fixture()
        val id = f.editor.save(f.editor.blank(), good).draftId
        val hashes = (0 until 3).map { f.photos.add(id, distinctPhoto(f.dir, it)).tiles.last().hash }
        val listed = f.photos.load(id, editable = true)
        assertEquals(listOf(0, 1, 2), listed.tiles.map { it.position })
        assertEquals(listOf(false, true, true), listed.tiles.map { it.canMoveEarlier })
        assertEquals(listOf(true, true, false), listed.tiles.map { it.canMoveLater })

        // The last one up a place: it becomes second, and the notice says where it went.
        val up = f.photos.moveEarlier(id, listed.tiles[2])
        assertNull(up.message)
        assertEquals(listOf(hashes[0], hashes[2], hashes[1]), up.tiles.map { it.hash })
        assertEquals(UiText(StringKey.PHOTO_MOVED, 2L), up.notice)
        // Up again: now the main photo.
        val main = f.photos.moveEarlier(id, up.tiles[1])
        assertEquals(listOf(hashes[2], hashes[0], hashes[1]), main.tiles.map { it.hash })
        assertTrue(main.tiles[0].primary)
        assertEquals(UiText(StringKey.PHOTO_MOVED, 1L), main.notice)
        // The main photo down a place: the next becomes main. The core keeps the order.
        val down = f.photos.moveLater(id, main.tiles[0])
        assertEquals(listOf(hashes[0], hashes[2], hashes[1]), down.tiles.map { it.hash })
        assertEquals(listOf(hashes[0], hashes[2], hashes[1]), f.service.draftPhotos(id).map { it.hash })

        // A sent draft's photos cannot move: no buttons, and a move that comes anyway is refused.
        f.drafts.submitDraft(id)
        val locked = f.photos.load(id, editable = false)
        assertTrue(locked.tiles.none { it.canMoveEarlier || it.canMoveLater })
        val refused = f.photos.moveLater(id, locked.tiles[0])
        assertEquals(UiText(StringKey.ERROR_NOT_ALLOWED), refused.message)
        assertEquals(listOf(hashes[0], hashes[2], hashes[1]), refused.tiles.map { it.hash })
        f.phone.closeDatabase()
    }

    @Test
    fun whileAPhotoIsPreparedTheSectionShowsProgressAndOffersNoAdd() {
        val f = fixture()
        val id = f.editor.save(f.editor.blank(), good).draftId
        val before = f.photos.add(id, distinctPhoto(f.dir, 1))
        val preparing = before.preparing()
        assertTrue(preparing.processing)
        assertFalse(preparing.canAdd, "one photo at a time")
        assertEquals(UiText(StringKey.PHOTO_PREPARING), preparing.hint)
        assertEquals(before.tiles, preparing.tiles, "the photos already there stay listed")
        assertNull(preparing.notice)
        assertTrue(preparing.coaching.isEmpty())
        // The add's answer ends it, whether it succeeds or not.
        assertFalse(f.photos.add(id, distinctPhoto(f.dir, 2)).processing)
        val text = f.dir.resolve("notes.jpg").also { Files.writeString(it, "not a picture") }
        val failed = f.photos.add(id, text.toString())
        assertFalse(failed.processing)
        assertTrue(failed.canAdd)
        f.phone.closeDatabase()
    }
}
