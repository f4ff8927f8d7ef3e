// Kotlin-on-JVM tests of photos through the real libfundi_ffi.so: a camera-like fixture photo
// prepared and attached to a draft, reordered and removed, and hostile files refused with a
// typed exception (never a crash of the JVM, never a half-written file).
package fundi.tests

import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import uniffi.fundi.DraftStore
import uniffi.fundi.FundiException
import uniffi.fundi.NewDraftInput
import uniffi.fundi.PhotoLibrary
import uniffi.fundi.PhotoProblem
import uniffi.fundi.ProductCategory
import java.io.File
import java.nio.file.Files

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

    /** fixtures/photos, found above the compiled tests (build/ is in the checkout), the working
     *  directory, or $FUNDI_ROOT. */
    private fun fixture(name: String): File {
        val classes = File(PhotosTest::class.java.protectionDomain.codeSource.location.toURI())
        val roots = generateSequence(classes.absoluteFile) { it.parentFile } +
            generateSequence(File(System.getProperty("user.dir")).absoluteFile) { it.parentFile } +
            listOfNotNull(System.getenv("FUNDI_ROOT")?.let(::File))
        return roots.map { File(it, "fixtures/photos/$name") }.firstOrNull { it.isFile }
            ?: error("fixture $name not found above ${System.getProperty("user.dir")}")
    }

    private fun draftIn(store: DraftStore) = store.createDraft(
        NewDraftInput(
            title = "Kiondo basket",
            description = "Sisal, natural dyes",
            materials = listOf("sisal"),
            category = ProductCategory.BASKETS,
            priceMinor = 250_000,
            weeklyCapacity = 4u,
        ),
    ).id

    @Test
    fun aCameraPhotoIsPreparedAndAttachedToADraft() {
        val library = PhotoLibrary.open(photosDir.path)
        DraftStore.open(File(dir, "phone.db").path).use { store ->
            val draft = draftIn(store)
            val source = fixture("camera-portrait-orientation6.jpg")
            val photo = store.addDraftPhoto(library, draft, source.path)
            // Stored sideways with EXIF orientation 6: comes out upright, 1600 px on the long edge.
            assertEquals(1067u, photo.width)
            assertEquals(1600u, photo.height)
            assertTrue(photo.primary)
            assertEquals(64, photo.hash.length)
            val bytes = File(photo.path).readBytes()
            assertEquals(photo.bytes, bytes.size.toULong())
            assertTrue(bytes.size < source.length() / 3, "the upload image is much smaller than the camera file")
            assertFalse(String(bytes, Charsets.ISO_8859_1).contains("FundiTestCam"), "camera metadata stripped")
            assertTrue(File(photo.thumbnailPath).isFile)

            val second = store.addDraftPhoto(library, draft, fixture("camera-flower-3mp.jpg").path)
            assertFalse(second.primary)
            val reordered = store.setPrimaryDraftPhoto(library, draft, second.hash)
            assertEquals(listOf(second.hash, photo.hash), reordered.map { it.hash })
            assertEquals(reordered, store.draftPhotos(library, draft))

            val left = store.removeDraftPhoto(library, draft, second.hash)
            assertEquals(listOf(photo.hash), left.map { it.hash })
            assertFalse(File(second.path).exists(), "a photo nothing refers to is deleted")
        }
    }

    @Test
    fun hostilePhotosAreTypedErrorsAndLeaveNothingBehind() {
        val library = PhotoLibrary.open(photosDir.path)
        DraftStore.open(File(dir, "phone.db").path).use { store ->
            val draft = draftIn(store)
            val cases = mapOf(
                "hostile/bomb-60000x60000.jpg" to PhotoProblem.TOO_LARGE,
                "hostile/truncated.jpg" to PhotoProblem.TRUNCATED,
                "hostile/zero-bytes.jpg" to PhotoProblem.EMPTY,
                "hostile/not-an-image.jpg" to PhotoProblem.NOT_AN_IMAGE,
                "hostile/corrupt.jpg" to PhotoProblem.DAMAGED,
            )
            for ((name, problem) in cases) {
                val e = expectThrows<FundiException.InvalidPhoto> { store.addDraftPhoto(library, draft, fixture(name).path) }
                assertEquals(problem, e.reason, name)
            }
            val missing = expectThrows<FundiException.InvalidPhoto> {
                store.addDraftPhoto(library, draft, File(dir, "no-such.jpg").path)
            }
            assertEquals(PhotoProblem.UNREADABLE, missing.reason)
            assertEquals(emptyList<Any>(), store.draftPhotos(library, draft))
            assertEquals(emptyList<String>(), photosDir.list()!!.toList(), "nothing half-written")
        }
    }
}
