// What a sync will cost and did cost, through the real libfundi_ffi.so and a real depot
// process: the estimate before a sync (records, thumbnails, photos, what the data saver holds
// back), the tally after it that a restart keeps, the data saver kept in the phone's database,
// and upload progress heard by a Kotlin listener — one that throws cuts nothing short.
package fundi.tests

import ke.fundi.app.logic.fixture
import ke.fundi.app.logic.withDepot
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.Category
import uniffi.fundi.FundiPhone
import uniffi.fundi.NewDraft
import uniffi.fundi.Role
import uniffi.fundi.Traffic
import uniffi.fundi.UploadListener
import uniffi.fundi.UploadProgress

class SyncCostsTest {

    private fun basket() = NewDraft("Kiondo basket", "Sisal", listOf("sisal"), Category.BASKETS, 250_000, 4u)

    private class Heard : UploadListener {
        val reports = mutableListOf<UploadProgress>()
        override fun onUploadProgress(progress: UploadProgress) {
            reports += progress
        }
    }

    @Test
    fun theEstimateTheTallyAndTheDataSaverAcrossARestart() = withDepot { depot ->
        val phone = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        val photos = phone.photos()
        val draft = phone.drafts.createDraft(basket())
        val photo = photos.addDraftPhoto(draft.id, fixture("camera-flower-3mp.jpg").path)
        val status = phone.sync.syncStatus()
        assertTrue(status.dataSaver, "on by default")
        assertNull(status.lastTally, "never synced")

        // Before, on mobile data: the thumbnail goes, the photo waits.
        val before = phone.sync.syncEstimate(false, true)
        assertEquals(status.pending, before.recordsOut.items)
        assertEquals(1u, before.thumbnailsOut.items)
        assertEquals(Traffic(0u, 0uL), before.photosOut)
        assertEquals(1u, before.photosHeldBack.items)
        assertTrue(before.photosHeldBack.bytes >= photo.bytes)
        val coming = requireNotNull(before.recordsIn) { "the depot was asked" }
        assertTrue(coming.items >= 2u, "the demo depot's orders for Akinyi: $coming")
        assertNull(before.reviewPhotosIn)
        assertNull(phone.sync.syncEstimate(false, false).recordsIn, "the depot not asked")

        val report = phone.sync.syncNow(null)
        assertEquals(before.recordsOut.bytes, report.wire.bytesSent, "the push and pull requests, to the byte")
        assertEquals(coming.items, report.pulled)
        val heard = Heard()
        val up = photos.uploadPhotos(false, heard)
        assertEquals(1u, up.finished)
        assertEquals(1u, up.waiting)
        val last = heard.reports.last()
        assertEquals(photo.thumbHash, last.sha256)
        assertEquals(photo.hash, last.thumbnailOf)
        assertEquals(last.total, last.done)
        assertEquals(photo.thumbBytes, last.total)

        // Data saver off: the photo goes on mobile data, and a listener that throws stops nothing.
        phone.sync.setDataSaver(false)
        assertEquals(1u, phone.sync.syncEstimate(false, false).photosOut.items)
        var calls = 0
        val faulty = object : UploadListener {
            override fun onUploadProgress(progress: UploadProgress) {
                calls++
                throw IllegalStateException("a progress bar that fails")
            }
        }
        val sent = photos.uploadPhotos(false, faulty)
        assertEquals(1u, sent.finished)
        assertEquals(photo.bytes, sent.bytesSent)
        assertTrue(calls >= 2, "told after every chunk: $calls")

        val tally = requireNotNull(phone.sync.syncStatus().lastTally) { "a tally after a sync" }
        assertEquals(report.wire, tally.records.wire)
        assertEquals(up.wire, tally.thumbnails.wire)
        assertEquals(sent.wire, tally.photos.wire)
        assertEquals(report.wire.bytesSent + up.wire.bytesSent + sent.wire.bytesSent, tally.bytesSent)
        val path = phone.dir.resolve("phone.db").toString()
        phone.closeDatabase()
        FundiPhone.open(path).use { again ->
            val after = again.sync().syncStatus()
            assertEquals(tally, after.lastTally)
            assertFalse(after.dataSaver)
        }
    }
}
