// Kotlin-on-JVM tests of photos through the real libfundi_ffi.so: a camera-like fixture photo
// prepared and attached to a draft, reordered and removed, and hostile files refused with a
// typed exception (never a crash of the JVM, never a half-written file); adds the core refuses
// (a full draft, a submitted one) say why with a typed reason.
package fundi.tests

import ke.fundi.app.logic.fixture
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import uniffi.fundi.Category
import uniffi.fundi.DraftService
import uniffi.fundi.DraftStatus
import uniffi.fundi.FundiException
import uniffi.fundi.FundiPhone
import uniffi.fundi.NewDraft
import uniffi.fundi.NotAllowedReason
import uniffi.fundi.PhotoLibrary
import uniffi.fundi.PhotoProblem
import uniffi.fundi.maxPhotosPerDraft
import java.awt.image.BufferedImage
import java.io.File
import java.nio.file.Files
import javax.imageio.ImageIO

class PhotosTest {
    private lateinit var dir: File
    private lateinit var photosDir: File

    @BeforeEach
    fun setUp() {
        dir = Files.createTempDirectory("fundi-photos").toFile()
        photosDir = File(dir, "photos")
    }

    @AfterEach
    fun tearDown() {
        dir.deleteRecursively()
    }

    private fun draftIn(drafts: DraftService) = drafts.createDraft(
        NewDraft(
            title = "Kiondo basket",
            description = "Sisal, natural dyes",
            materials = listOf("sisal"),
            category = Category.BASKETS,
            priceMinor = 250_000,
            weeklyCapacity = 4u,
        ),
    ).id

    @Test
    fun aCameraPhotoIsPreparedAndAttachedToADraft() {
        FundiPhone.open(File(dir, "phone.db").path).use { phone ->
            val photos = phone.photos(PhotoLibrary.open(photosDir.path))
            val draft = draftIn(phone.drafts())
            val source = fixture("camera-portrait-orientation6.jpg")
            val photo = photos.addDraftPhoto(draft, source.path)
            // Stored sideways with EXIF orientation 6: comes out upright, 1600 px on the long edge.
            assertEquals(1067u, photo.width)
            assertEquals(1600u, photo.height)
            assertTrue(photo.primary)
            assertEquals(64, photo.hash.length)
            val bytes = File(photo.path).readBytes()
            assertEquals(photo.bytes, bytes.size.toULong())
            assertTrue(bytes.size < source.length() / 3, "the upload image is much smaller than the camera file")
            assertFalse(String(bytes, Charsets.ISO_8859_1).contains("FundiTestCam"), "camera metadata stripped")
            assertTrue(File(photo.thumbPath).isFile)

            val second = photos.addDraftPhoto(draft, fixture("camera-flower-3mp.jpg").path)
            assertFalse(second.primary)
            val reordered = photos.setPrimaryDraftPhoto(draft, second.hash)
            assertEquals(listOf(second.hash, photo.hash), reordered.map { it.hash })
            assertEquals(reordered, photos.draftPhotos(draft))

            val left = photos.removeDraftPhoto(draft, second.hash)
            assertEquals(listOf(photo.hash), left.map { it.hash })
            assertFalse(File(second.path).exists(), "a photo nothing refers to is deleted")
        }
    }

    @Test
    fun aPhotosBytesWaitInTheUploadQueueUntilItsPhotoIsRemoved() {
        FundiPhone.open(File(dir, "phone.db").path).use { phone ->
            val photos = phone.photos(PhotoLibrary.open(photosDir.path))
            val draft = draftIn(phone.drafts())
            assertEquals(0u, photos.uploadStatus().photos)
            val photo = photos.addDraftPhoto(draft, fixture("camera-flower-3mp.jpg").path)
            val waiting = photos.uploadStatus()
            assertEquals(1u, waiting.thumbnails)
            assertEquals(photo.thumbBytes, waiting.thumbnailBytes)
            assertEquals(1u, waiting.photos)
            assertEquals(photo.bytes, waiting.photoBytes)
            // Not enrolled: nothing to send to, a typed error.
            expectThrows<FundiException.NotEnrolled> { photos.uploadPhotos(true) }
            photos.removeDraftPhoto(draft, photo.hash)
            assertEquals(0u, photos.uploadStatus().photos, "a removed photo is no longer sent")
            assertEquals(0u, photos.uploadStatus().thumbnails)
        }
    }

    @Test
    fun hostilePhotosAreTypedErrorsAndLeaveNothingBehind() {
        FundiPhone.open(File(dir, "phone.db").path).use { phone ->
            val photos = phone.photos(PhotoLibrary.open(photosDir.path))
            val draft = draftIn(phone.drafts())
            val cases = mapOf(
                "hostile/bomb-60000x60000.jpg" to PhotoProblem.TOO_LARGE,
                "hostile/truncated.jpg" to PhotoProblem.TRUNCATED,
                "hostile/zero-bytes.jpg" to PhotoProblem.EMPTY,
                "hostile/not-an-image.jpg" to PhotoProblem.NOT_AN_IMAGE,
                "hostile/corrupt.jpg" to PhotoProblem.DAMAGED,
            )
            for ((name, problem) in cases) {
                val e = expectThrows<FundiException.InvalidPhoto> { photos.addDraftPhoto(draft, fixture(name).path) }
                assertEquals(problem, e.reason, name)
            }
            val missing = expectThrows<FundiException.InvalidPhoto> {
                photos.addDraftPhoto(draft, File(dir, "no-such.jpg").path)
            }
            assertEquals(PhotoProblem.UNREADABLE, missing.reason)
            assertEquals(emptyList<Any>(), photos.draftPhotos(draft))
            assertEquals(emptyList<String>(), photosDir.list()!!.toList(), "nothing half-written")
        }
    }

    /** A small JPEG whose pixels depend on `n` (the core keeps one copy of the same image). */
    private fun distinctPhoto(n: Int): String {
        val image = BufferedImage(96, 64, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until 64) for (x in 0 until 96) {
            val v = (x * (n + 1)) % 256
            image.setRGB(x, y, (v shl 16) or (v shl 8) or v)
        }
        val file = File(dir, "small-$n.jpg")
        assertTrue(ImageIO.write(image, "jpg", file), "no JPEG writer")
        return file.path
    }

    @Test
    fun refusedAddsSayWhyWithATypedReason() {
        FundiPhone.open(File(dir, "phone.db").path).use { phone ->
            val photos = phone.photos(PhotoLibrary.open(photosDir.path))
            val drafts = phone.drafts()
            val max = maxPhotosPerDraft()
            val full = draftIn(drafts)
            for (n in 0 until max.toInt()) photos.addDraftPhoto(full, distinctPhoto(n))
            assertEquals(max.toInt(), photos.draftPhotos(full).size)
            val refused = expectThrows<FundiException.NotAllowed> { photos.addDraftPhoto(full, distinctPhoto(max.toInt())) }
            assertEquals(NotAllowedReason.DraftFull(max), refused.reason)

            val sent = draftIn(drafts)
            drafts.submitDraft(sent)
            val locked = expectThrows<FundiException.NotAllowed> { photos.addDraftPhoto(sent, distinctPhoto(0)) }
            assertEquals(NotAllowedReason.NotEditable(DraftStatus.SUBMITTED), locked.reason)
        }
    }

    @Test
    fun theListRowsCarryTheMainThumbnailAndAReorderChangesIt() {
        FundiPhone.open(File(dir, "phone.db").path).use { phone ->
            val photos = phone.photos(PhotoLibrary.open(photosDir.path))
            val drafts = phone.drafts()
            val bare = draftIn(drafts)
            val shown = draftIn(drafts)
            val a = photos.addDraftPhoto(shown, distinctPhoto(1))
            val b = photos.addDraftPhoto(shown, distinctPhoto(2))
            val c = photos.addDraftPhoto(shown, distinctPhoto(3))

            val rows = photos.draftSummaries()
            assertEquals(listOf(shown, bare), rows.map { it.draft.id }, "newest first, as listDrafts")
            assertEquals(drafts.listDrafts(), rows.map { it.draft })
            assertEquals(3u, rows[0].photoCount)
            assertEquals(a.thumbPath, rows[0].mainThumbnailPath)
            assertTrue(File(rows[0].mainThumbnailPath!!).isFile)
            assertEquals(0u, rows[1].photoCount)
            assertEquals(null, rows[1].mainThumbnailPath)

            // Reordering: c one place up, then to the front: each a write of the photo list.
            assertEquals(listOf(a.hash, c.hash, b.hash), photos.moveDraftPhoto(shown, c.hash, 1u).map { it.hash })
            assertEquals(listOf(c.hash, a.hash, b.hash), photos.moveDraftPhoto(shown, c.hash, 0u).map { it.hash })
            assertEquals(c.thumbPath, photos.draftSummaries()[0].mainThumbnailPath)
            // Past the end is the end.
            assertEquals(listOf(a.hash, b.hash, c.hash), photos.moveDraftPhoto(shown, c.hash, 99u).map { it.hash })

            drafts.submitDraft(shown)
            val locked = expectThrows<FundiException.NotAllowed> { photos.moveDraftPhoto(shown, c.hash, 0u) }
            assertEquals(NotAllowedReason.NotEditable(DraftStatus.SUBMITTED), locked.reason)
        }
    }
}
