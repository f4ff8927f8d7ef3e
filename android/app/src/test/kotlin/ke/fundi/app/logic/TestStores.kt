// A fresh phone database in a temporary directory for each test, over the real Rust core, and
// the repository's fixture photos. (scripts/test-kotlin compiles this file too.)
package ke.fundi.app.logic

import java.io.File
import java.nio.file.Files
import java.nio.file.Path
import uniffi.fundi.DraftService
import uniffi.fundi.FundiPhone
import uniffi.fundi.PhotoLibrary
import uniffi.fundi.PhotoService
import uniffi.fundi.ReviewPhotoService
import uniffi.fundi.SyncService

/** A phone over a fresh database: its drafts service, its directory, and the phone itself. */
class TestPhone(val phone: FundiPhone, val dir: Path) {
    val drafts: DraftService = phone.drafts()
    val sync: SyncService = phone.sync()

    /** The draft photos service, its photo library in this phone's directory. */
    fun photos(): PhotoService = phone.photos(PhotoLibrary.open(dir.resolve("photos").toString()))

    /** The review photos service, its cache in this phone's directory. */
    fun reviewPhotos(): ReviewPhotoService = phone.reviewPhotos(PhotoLibrary.open(dir.resolve("review-cache").toString()))

    /** Close the phone's database (for every service taken from it). */
    fun closeDatabase() = phone.closeDatabase()
}

fun tempPhone(): TestPhone {
    val dir = Files.createTempDirectory("fundi-android-test")
    return TestPhone(FundiPhone.open(dir.resolve("phone.db").toString()), dir)
}

/** fixtures/photos/`name`, found above the compiled tests (build/ is in the checkout), the working
 *  directory, or $FUNDI_ROOT. */
fun fixture(name: String): File {
    val classes = File(TestPhone::class.java.protectionDomain.codeSource.location.toURI())
    val roots = generateSequence(classes.absoluteFile) { it.parentFile } +
        generateSequence(File(System.getProperty("user.dir")).absoluteFile) { it.parentFile } +
        listOfNotNull(System.getenv("FUNDI_ROOT")?.let(::File))
    return roots.map { File(it, "fixtures/photos/$name") }.firstOrNull { it.isFile }
        ?: error("fixture $name not found above ${System.getProperty("user.dir")}")
}
