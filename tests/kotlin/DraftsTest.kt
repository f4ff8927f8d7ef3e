// Kotlin-on-JVM tests of the drafts API through the real libfundi_ffi.so (JNA), exactly as the
// Android app calls it: generated bindings, real SQLite files in a temp directory.
package fundi.tests

import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import uniffi.fundi.DraftChanges
import uniffi.fundi.DraftFieldName
import uniffi.fundi.DraftState
import uniffi.fundi.DraftStore
import uniffi.fundi.FieldProblem
import uniffi.fundi.FundiException
import uniffi.fundi.NewDraftInput
import uniffi.fundi.ProductCategory
import uniffi.fundi.UiLanguage
import uniffi.fundi.formatKes
import uniffi.fundi.parsePrice
import uniffi.fundi.productCategories
import java.io.File
import java.io.RandomAccessFile
import java.nio.file.Files

class DraftsTest {
    private lateinit var dir: File
    private lateinit var dbPath: String

    @BeforeEach
    fun setUp() {
        dir = Files.createTempDirectory("fundi-drafts").toFile()
        dbPath = File(dir, "phone.db").path
    }

    @AfterEach
    fun tearDown() {
        dir.deleteRecursively()
    }

    private fun basket(title: String = "Kiondo basket", priceMinor: Long = 250_000) = NewDraftInput(
        title = title,
        description = "Sisal, natural dyes",
        materials = listOf("sisal", "leather"),
        category = ProductCategory.BASKETS,
        priceMinor = priceMinor,
        weeklyCapacity = 4u,
    )

    @Test
    fun createEditListSubmitDelete() {
        DraftStore.open(dbPath).use { store ->
            val a = store.createDraft(basket("First"))
            val b = store.createDraft(basket("Second"))
            assertEquals(listOf("Second", "First"), store.listDrafts().map { it.title })

            val edited = store.updateDraft(a.id, DraftChanges(priceMinor = 300_000, materials = listOf("sisal")))
            assertEquals(300_000, edited.priceMinor)
            assertEquals(listOf("sisal"), edited.materials)
            assertEquals("First", edited.title)

            val submitted = store.submitDraft(a.id)
            assertEquals(DraftState.SUBMITTED, submitted.state)
            assertFalse(submitted.editable)
            expectThrows<FundiException.NotAllowed> { store.updateDraft(a.id, DraftChanges(title = "Changed")) }

            store.deleteDraft(b.id)
            expectThrows<FundiException.NotFound> { store.getDraft(b.id) }
            assertEquals(listOf(a.id), store.listDrafts().map { it.id })
        }
    }

    @Test
    fun invalidDraftGivesFieldIssuesAndStoresNothing() {
        DraftStore.open(dbPath).use { store ->
            val e = expectThrows<FundiException.InvalidInput> {
                store.createDraft(basket(title = "  ", priceMinor = 0))
            }
            assertEquals(listOf(DraftFieldName.TITLE, DraftFieldName.PRICE), e.issues.map { it.field })
            assertEquals(FieldProblem.Required, e.issues[0].problem)
            assertTrue(e.issues[1].problem is FieldProblem.TooSmall)
            assertTrue(store.listDrafts().isEmpty())
        }
    }

    @Test
    fun everythingSurvivesAReopen() {
        val id = DraftStore.open(dbPath).use { store ->
            val d = store.createDraft(basket())
            store.updateDraft(d.id, DraftChanges(title = "Kiondo, large"))
            d.id
        }
        DraftStore.open(dbPath).use { store ->
            val again = store.getDraft(id)
            assertEquals("Kiondo, large", again.title)
            assertEquals(listOf("sisal", "leather"), again.materials)
        }
    }

    @Test
    fun callAfterCloseIsATypedError() {
        val store = DraftStore.open(dbPath)
        store.closeDatabase()
        expectThrows<FundiException.Closed> { store.listDrafts() }
        expectThrows<FundiException.Closed> { store.createDraft(basket()) }
        store.close()
    }

    @Test
    fun corruptFileIsRefusedAndLeftUntouched() {
        val garbage = ByteArray(8192) { (it * 31 + 7).toByte() }
        File(dbPath).writeBytes(garbage)
        expectThrows<FundiException.StorageCorrupt> { DraftStore.open(dbPath) }
        assertTrue(File(dbPath).readBytes().contentEquals(garbage), "a corrupt file must never be wiped")
    }

    @Test
    fun fileFromANewerAppIsRefused() {
        DraftStore.open(dbPath).use { it.createDraft(basket()) }
        // SQLite keeps PRAGMA user_version as a big-endian int at byte 60 of the header.
        RandomAccessFile(dbPath, "rw").use { f -> f.seek(60); f.writeInt(999) }
        val e = expectThrows<FundiException.AppTooOld> { DraftStore.open(dbPath) }
        assertEquals(999u, e.found)
    }

    @Test
    fun unknownIdIsNotFound() {
        DraftStore.open(dbPath).use { store ->
            expectThrows<FundiException.NotFound> { store.getDraft("not-an-id") }
            expectThrows<FundiException.NotFound> { store.deleteDraft("0193a6f2-7c1d-7abc-9def-0123456789ab") }
        }
    }

    @Test
    fun pricesAreFormattedAndParsedByTheCore() {
        assertEquals("KSh 1,250", formatKes(125_000, UiLanguage.ENGLISH))
        assertEquals("KSh 1,250.50", formatKes(125_050, UiLanguage.SWAHILI))
        assertEquals(125_050L, parsePrice("KSh 1,250.50"))
        val e = expectThrows<FundiException.InvalidInput> { parsePrice("abc") }
        assertEquals(DraftFieldName.PRICE, e.issues.single().field)
        assertEquals(9, productCategories().size)
    }
}
