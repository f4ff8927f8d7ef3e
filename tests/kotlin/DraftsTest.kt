// Kotlin-on-JVM tests of the drafts API through the real libfundi_ffi.so (JNA), exactly as the
// Android app calls it: generated bindings, real SQLite files in a temp directory.
package fundi.tests

import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import uniffi.fundi.Category
import uniffi.fundi.DraftField
import uniffi.fundi.DraftPatch
import uniffi.fundi.DraftStatus
import uniffi.fundi.FundiException
import uniffi.fundi.FundiPhone
import uniffi.fundi.Language
import uniffi.fundi.NewDraft
import uniffi.fundi.NotAllowedReason
import uniffi.fundi.Problem
import uniffi.fundi.DraftForm
import uniffi.fundi.firstFieldInError
import uniffi.fundi.formatKes
import uniffi.fundi.newDraftId
import uniffi.fundi.readDraftForm
import uniffi.fundi.isEditable
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

    private fun basket(title: String = "Kiondo basket", priceMinor: Long = 250_000) = NewDraft(
        title = title,
        description = "Sisal, natural dyes",
        materials = listOf("sisal", "leather"),
        category = Category.BASKETS,
        priceMinor = priceMinor,
        weeklyCapacity = 4u,
    )

    @Test
    fun createEditListSubmitDelete() {
        FundiPhone.open(dbPath).use { phone ->
            val store = phone.drafts()
            val a = store.createDraft(basket("First"))
            val b = store.createDraft(basket("Second"))
            assertEquals(listOf("Second", "First"), store.listDrafts().map { it.title })

            val edited = store.updateDraft(a.id, DraftPatch(priceMinor = 300_000, materials = listOf("sisal")))
            assertEquals(300_000, edited.price.minor)
            assertEquals(listOf("sisal"), edited.materials)
            assertEquals("First", edited.title)

            val submitted = store.submitDraft(a.id)
            assertEquals(DraftStatus.SUBMITTED, submitted.status)
            assertFalse(isEditable(submitted.status))
            val refused = expectThrows<FundiException.NotAllowed> { store.updateDraft(a.id, DraftPatch(title = "Changed")) }
            assertEquals(NotAllowedReason.NotEditable(DraftStatus.SUBMITTED), refused.reason)

            store.deleteDraft(b.id)
            expectThrows<FundiException.NotFound> { store.getDraft(b.id) }
            assertEquals(listOf(a.id), store.listDrafts().map { it.id })
        }
    }

    @Test
    fun invalidDraftGivesFieldIssuesAndStoresNothing() {
        FundiPhone.open(dbPath).use { phone ->
            val store = phone.drafts()
            val e = expectThrows<FundiException.InvalidInput> {
                store.createDraft(basket(title = "  ", priceMinor = 0))
            }
            assertEquals(listOf(DraftField.TITLE, DraftField.PRICE), e.issues.map { it.field })
            assertEquals(Problem.Required, e.issues[0].problem)
            assertTrue(e.issues[1].problem is Problem.TooSmall)
            assertTrue(store.listDrafts().isEmpty())
        }
    }

    @Test
    fun everythingSurvivesAReopen() {
        val id = FundiPhone.open(dbPath).use { phone ->
            val d = phone.drafts().createDraft(basket())
            phone.drafts().updateDraft(d.id, DraftPatch(title = "Kiondo, large"))
            phone.closeDatabase()
            d.id
        }
        FundiPhone.open(dbPath).use { phone ->
            val again = phone.drafts().getDraft(id)
            assertEquals("Kiondo, large", again.title)
            assertEquals(listOf("sisal", "leather"), again.materials)
        }
    }

    @Test
    fun callAfterCloseIsATypedError() {
        val phone = FundiPhone.open(dbPath)
        val store = phone.drafts()
        phone.closeDatabase()
        expectThrows<FundiException.Closed> { store.listDrafts() }
        expectThrows<FundiException.Closed> { store.createDraft(basket()) }
        expectThrows<FundiException.Closed> { phone.drafts().listDrafts() }
        expectThrows<FundiException.Closed> { phone.sync().pendingCount() }
        store.close()
        phone.close()
    }

    @Test
    fun corruptFileIsRefusedAndLeftUntouched() {
        val garbage = ByteArray(8192) { (it * 31 + 7).toByte() }
        File(dbPath).writeBytes(garbage)
        expectThrows<FundiException.StorageCorrupt> { FundiPhone.open(dbPath) }
        assertTrue(File(dbPath).readBytes().contentEquals(garbage), "a corrupt file must never be wiped")
    }

    @Test
    fun fileFromANewerAppIsRefused() {
        FundiPhone.open(dbPath).use { phone ->
            phone.drafts().createDraft(basket())
            // Now, not when the drafts service is collected: it shares the phone's connection.
            phone.closeDatabase()
        }
        // SQLite keeps PRAGMA user_version as a big-endian int at byte 60 of the header.
        RandomAccessFile(dbPath, "rw").use { f -> f.seek(60); f.writeInt(999) }
        val e = expectThrows<FundiException.AppTooOld> { FundiPhone.open(dbPath) }
        assertEquals(999u, e.found)
    }

    @Test
    fun unknownIdIsNotFound() {
        FundiPhone.open(dbPath).use { phone ->
            val store = phone.drafts()
            expectThrows<FundiException.NotFound> { store.getDraft("not-an-id") }
            expectThrows<FundiException.NotFound> { store.deleteDraft("0193a6f2-7c1d-7abc-9def-0123456789ab") }
        }
    }

    @Test
    fun pricesAreFormattedAndParsedByTheCore() {
        assertEquals("KSh 1,250", formatKes(125_000, Language.ENGLISH))
        assertEquals("KSh 1,250.50", formatKes(125_050, Language.SWAHILI))
        assertEquals(125_050L, parsePrice("KSh 1,250.50"))
        val e = expectThrows<FundiException.InvalidInput> { parsePrice("abc") }
        assertEquals(DraftField.PRICE, e.issues.single().field)
        assertEquals(9, productCategories().size)
    }

    @Test
    fun aDraftSavedUnderAnIdChosenFirstIsOneDraftHoweverOftenSaved() {
        val id = newDraftId()
        assertEquals(36, id.length)
        FundiPhone.open(dbPath).use { phone ->
            val store = phone.drafts()
            val first = store.saveDraft(id, basket("Kiondo"))
            assertEquals(id, first.id)
            // The screen rotated during the save, and saves again what it shows.
            assertEquals(first, store.saveDraft(id, basket("Kiondo")))
            assertEquals(listOf(id), store.listDrafts().map { it.id })
        }
        // The app was killed after the save committed; the editor comes back with the same id.
        FundiPhone.open(dbPath).use { phone ->
            val store = phone.drafts()
            val changed = store.saveDraft(id, basket("Kiondo, large"))
            assertEquals("Kiondo, large", changed.title)
            assertEquals(listOf(id), store.listDrafts().map { it.id })

            store.deleteDraft(id)
            expectThrows<FundiException.NotFound> { store.saveDraft(id, basket("Kiondo")) }
            expectThrows<FundiException.NotFound> { store.saveDraft("not-an-id", basket("Kiondo")) }
            val refused = expectThrows<FundiException.InvalidInput> { store.saveDraft(newDraftId(), basket("  ")) }
            assertEquals(listOf(DraftField.TITLE), refused.issues.map { it.field })
            assertTrue(store.listDrafts().isEmpty())
        }
    }

    @Test
    fun aRefusedFormNamesTheTopmostFieldInErrorAndABlankCategoryIsRequired() {
        val refused = expectThrows<FundiException.InvalidInput> {
            readDraftForm(DraftForm("Kiondo", "", "sisal", null, "elfu", "tano"))
        }
        assertTrue(refused.issues.any { it.field == DraftField.CATEGORY && it.problem == Problem.Required })
        assertEquals(DraftField.CATEGORY, firstFieldInError(refused.issues))
        assertEquals(DraftField.CATEGORY, firstFieldInError(refused.issues.reversed()))
        val noTitle = expectThrows<FundiException.InvalidInput> {
            readDraftForm(DraftForm("", "", "sisal", Category.BASKETS, "1,250", "0"))
        }
        assertEquals(DraftField.TITLE, firstFieldInError(noTitle.issues))
        assertEquals(null, firstFieldInError(emptyList()))
    }
}
