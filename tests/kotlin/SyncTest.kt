// Kotlin-on-JVM tests of the sync surface through the real libfundi_ffi.so: the outbox filled
// by draft edits made through DraftStore on the same file, typed errors the UI acts on (not
// enrolled, offline), and the listener interface Kotlin implements.
package fundi.tests

import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import uniffi.fundi.DraftChanges
import uniffi.fundi.DraftStore
import uniffi.fundi.FundiException
import uniffi.fundi.NewDraftInput
import uniffi.fundi.ProductCategory
import uniffi.fundi.SyncProgressListener
import uniffi.fundi.SyncStage
import uniffi.fundi.SyncStore
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

    private fun basket() = NewDraftInput(
        title = "Kiondo",
        description = "Sisal",
        materials = listOf("sisal"),
        category = ProductCategory.BASKETS,
        priceMinor = 250_000,
        weeklyCapacity = 4u,
    )

    @Test
    fun draftEditsFillTheOutboxInOrder() {
        DraftStore.open(dbPath).use { drafts ->
            SyncStore.open(dbPath).use { sync ->
                assertEquals(0u, sync.pendingCount())
                val d = drafts.createDraft(basket())
                drafts.updateDraft(d.id, DraftChanges(priceMinor = 260_000))
                drafts.submitDraft(d.id)
                assertEquals(3u, sync.pendingCount())
                val items = sync.outbox()
                assertEquals(listOf("draft", "draft", "draft"), items.map { it.kind })
                assertTrue(items[1].summary.contains("price"))
                assertEquals("submit", items[2].summary)
                assertTrue(items.all { it.wedgedReason == null && it.recordId == d.id })
                assertTrue(items.zipWithNext().all { (a, b) -> a.counter < b.counter })
                val state = sync.state()
                assertFalse(state.enrolled)
                assertEquals(3u, state.pending)
                assertEquals(0u, state.wedged)
                assertNull(state.role)
            }
        }
    }

    @Test
    fun syncingBeforeEnrollmentIsNotEnrolled() {
        SyncStore.open(dbPath).use { sync ->
            expectThrows<FundiException.NotEnrolled> { sync.syncNow(null) }
            expectThrows<FundiException.NotEnrolled> { sync.orders() }
            assertTrue(sync.conflicts().isEmpty())
            assertTrue(sync.stock().isEmpty())
            expectThrows<FundiException.NotFound> { sync.retry(42u) }
        }
    }

    @Test
    fun anUnreachableDepotIsOfflineAndNothingIsLost() {
        DraftStore.open(dbPath).use { drafts ->
            SyncStore.open(dbPath).use { sync ->
                drafts.createDraft(basket())
                // Port 9 (discard) on loopback: nothing listens there.
                expectThrows<FundiException.Offline> { sync.enroll("http://127.0.0.1:9", "AAAA-BBBB-CCCC") }
                assertEquals(1u, sync.pendingCount())
                assertFalse(sync.state().enrolled)
            }
        }
    }

    @Test
    fun kotlinImplementsTheProgressListener() {
        val seen = mutableListOf<SyncStage>()
        val listener = object : SyncProgressListener {
            override fun onProgress(stage: SyncStage, done: UInt, total: UInt) {
                seen.add(stage)
            }
        }
        SyncStore.open(dbPath).use { sync ->
            expectThrows<FundiException.NotEnrolled> { sync.syncNow(listener) }
        }
        assertTrue(seen.isEmpty(), "no progress is reported for a sync that cannot start")
    }
}
