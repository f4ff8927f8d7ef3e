// A fresh drafts database in a temporary directory for each test, over the real Rust core.
package ke.fundi.app.logic

import java.nio.file.Files
import java.nio.file.Path
import uniffi.fundi.DraftStore

fun tempStore(): Pair<DraftStore, Path> {
    val dir = Files.createTempDirectory("fundi-android-test")
    return DraftStore.open(dir.resolve("drafts.db").toString()) to dir
}
