// Kotlin-on-JVM tests of the sync surface through the real libfundi_ffi.so: the outbox filled
// by draft edits made through the same phone's drafts service, typed errors the UI acts on (not
// enrolled, offline), and the listener interface Kotlin implements.
package fundi.tests

import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import uniffi.fundi.Category
import uniffi.fundi.DraftPatch
import uniffi.fundi.FundiException
import uniffi.fundi.FundiPhone
import uniffi.fundi.ItemState
import uniffi.fundi.NewDraft
import uniffi.fundi.SyncListener
import uniffi.fundi.SyncPhase
import java.io.File
import java.nio.file.Files

class SyncTest {
    private lateinit var dir: File
    private lateinit var dbPath: String

    @BeforeEach
    fun setUp() {
        dir = Files.createTempDirectory("fundi-sync").toFile()
        dbPath = File(dir, "phone.db").path
    }

    @AfterEach
    fun tearDown() {
        dir.deleteRecursively()
    }

    private fun basket() = NewDraft(
        title = "Kiondo",
        description = "Sisal",
        materials = listOf("sisal"),
        category = Category.BASKETS,
        priceMinor = 250_000,
        weeklyCapacity = 4u,
    )

    @Test
    fun draftEditsFillTheOutboxInOrder() {
        FundiPhone.open(dbPath).use { phone ->
            val drafts = phone.drafts()
            val sync = phone.sync()
            assertEquals(0u, sync.pendingCount())
            val d = drafts.createDraft(basket())
            drafts.updateDraft(d.id, DraftPatch(priceMinor = 260_000))
            drafts.submitDraft(d.id)
            assertEquals(3u, sync.pendingCount())
            val items = sync.outboxItems()
            assertEquals(listOf("draft", "draft", "draft"), items.map { it.kind })
            assertTrue(items[1].summary.contains("price"))
            assertEquals("submit", items[2].summary)
            assertTrue(items.all { it.state == ItemState.Pending && it.recordId == d.id })
            assertTrue(items.zipWithNext().all { (a, b) -> a.counter < b.counter })
            val status = sync.syncStatus()
            assertFalse(status.enrolled)
            assertEquals(3u, status.pending)
            assertEquals(0u, status.wedged)
            assertNull(status.role)
        }
    }

    @Test
    fun syncingBeforeEnrollmentIsNotEnrolled() {
        FundiPhone.open(dbPath).use { phone ->
            val sync = phone.sync()
            expectThrows<FundiException.NotEnrolled> { sync.syncNow(null) }
            expectThrows<FundiException.NotEnrolled> { sync.listOrders() }
            assertTrue(sync.listConflicts().isEmpty())
            assertTrue(sync.stockLevels().isEmpty())
            expectThrows<FundiException.NotFound> { sync.retryOutboxItem(42u) }
        }
    }

    @Test
    fun anUnreachableDepotIsOfflineAndNothingIsLost() {
        FundiPhone.open(dbPath).use { phone ->
            val sync = phone.sync()
            phone.drafts().createDraft(basket())
            // Port 9 (discard) on loopback: nothing listens there.
            expectThrows<FundiException.Offline> { sync.enrollDevice("https://127.0.0.1:9", "AAAA-BBBB-CCCC") }
            // A depot address in clear is refused before any connection (the phone speaks TLS only).
            val plain = expectThrows<FundiException.Depot> { sync.enrollDevice("http://127.0.0.1:9", "AAAA-BBBB-CCCC") }
            assertEquals("https_required", plain.code)
            assertEquals(1u, sync.pendingCount())
            assertFalse(sync.syncStatus().enrolled)
        }
    }

    @Test
    fun kotlinImplementsTheProgressListener() {
        val seen = mutableListOf<SyncPhase>()
        val listener = object : SyncListener {
            override fun onProgress(phase: SyncPhase, done: UInt, total: UInt) {
                seen.add(phase)
            }
        }
        FundiPhone.open(dbPath).use { phone ->
            expectThrows<FundiException.NotEnrolled> { phone.sync().syncNow(listener) }
        }
        assertTrue(seen.isEmpty(), "no progress is reported for a sync that cannot start")
    }
}
