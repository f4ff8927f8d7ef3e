// "Sync now" over the real core and a real depot: progress from the core's listener, the
// outcome, the photos sent after the records (thumbnails on mobile data, photos on Wi-Fi), an unreachable depot, a phone not enrolled, and a Throwable that is not the core's.
package ke.fundi.app.logic

import java.util.Collections
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.Category
import uniffi.fundi.NewDraft
import uniffi.fundi.PhotoServiceInterface
import uniffi.fundi.Role
import uniffi.fundi.SyncServiceInterface

class SyncControllerTest {

    /** Run one sync through a controller on its own worker; every state the observers saw. */
    private fun syncOnce(
        photos: (() -> PhotoServiceInterface)? = null,
        unmetered: Boolean = false,
        service: () -> SyncServiceInterface,
    ): List<SyncProgress> {
        val worker = Executors.newSingleThreadExecutor()
        val seen = Collections.synchronizedList(mutableListOf<SyncProgress>())
        val finished = CountDownLatch(1)
        // "post" runs at once, on the worker: the states arrive in order all the same.
        val controller = SyncController(
            runInBackground = { worker.execute(it) },
            post = { it.run() },
            service = service,
            photos = photos,
            unmetered = { unmetered },
        )
        controller.observe { state ->
            seen += state
            if (!state.running && state.outcome != null) finished.countDown()
        }
        assertTrue(controller.start())
        assertTrue(finished.await(60, TimeUnit.SECONDS), "the sync did not finish: $seen")
        worker.shutdown()
        assertFalse(controller.state.running)
        return seen.toList()
    }

    @Test
    fun aSyncShowsItsProgressAndTheCountsSentAndReceived() = withDepot { depot ->
        val phone = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        phone.drafts.createDraft(NewDraft("Kiondo basket", "Sisal", listOf("sisal"), Category.BASKETS, 250_000, 4u))
        phone.drafts.createDraft(NewDraft("Olive wood bowl", "Carved", listOf("olive wood"), Category.CARVINGS, 180_000, 2u))
        val states = syncOnce { phone.sync }

        assertEquals(SyncProgress(), states.first(), "observers first get the state as it is")
        assertEquals(UiText(StringKey.SYNC_STARTING), states[1].step)
        val sending = states.filter { it.step?.key == StringKey.SYNC_SENDING }
        assertTrue(sending.isNotEmpty(), "no sending progress in $states")
        assertEquals(2, sending.last().done)
        assertEquals(2, sending.last().total)
        assertTrue(states.any { it.step?.key == StringKey.SYNC_RECEIVING }, "no receiving progress in $states")
        val last = states.last()
        assertEquals(StringKey.SYNC_DONE, last.outcome?.key)
        assertEquals(2L, last.outcome?.args?.get(0), "two drafts sent")
        // The demo depot holds two orders for Akinyi: both received, with her account.
        assertTrue((last.outcome?.args?.get(1) as Long) >= 2L, "${last.outcome}")
        assertNull(last.refusedNote)
        assertFalse(last.credentialRefused)
        assertEquals(0u, phone.sync.pendingCount())
        phone.closeDatabase()
    }

    @Test
    fun afterTheRecordsThePhotosGoWithTheirProgressAndTheDataSaverHoldsFullPhotosOnMobileData() = withDepot { depot ->
        val phone = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        val photos = phone.photos()
        val d = phone.drafts.createDraft(NewDraft("Kiondo basket", "Sisal", listOf("sisal"), Category.BASKETS, 250_000, 4u))
        photos.addDraftPhoto(d.id, fixture("camera-flower-3mp.jpg").path)
        val waiting = photos.uploadStatus()

        val metered = syncOnce(photos = { photos }, unmetered = false) { phone.sync }
        val sendingPhotos = metered.filter { it.step?.key == StringKey.SYNC_SENDING_PHOTOS }
        assertTrue(sendingPhotos.isNotEmpty(), "no photo progress in $metered")
        assertEquals((waiting.thumbnailBytes / 1024u).toInt(), sendingPhotos.last().total, "the thumbnail only, in KB")
        assertNull(metered.last().refusedNote)
        val left = photos.uploadStatus()
        assertEquals(Pair(0u, 1u), Pair(left.thumbnails, left.photos), "the photo waits for Wi-Fi")

        syncOnce(photos = { photos }, unmetered = true) { phone.sync }
        assertEquals(0u, photos.uploadStatus().photos, "sent on Wi-Fi")
        phone.closeDatabase()
    }

    @Test
    fun noDepotInReachKeepsTheChangesAndSaysSo() {
        val depot = DepotProcess.start()
        val phone = depot.use { it.enrolledPhone("artisan Baraka", Role.ARTISAN) }
        phone.drafts.createDraft(NewDraft("Beaded necklace", "", listOf("beads"), Category.BEADWORK, 120_000, 5u))
        val last = syncOnce { phone.sync }.last()
        assertEquals(UiText(StringKey.SYNC_OFFLINE), last.outcome)
        assertFalse(last.credentialRefused)
        assertEquals(1u, phone.sync.pendingCount())
        phone.closeDatabase()
    }

    @Test
    fun aPhoneNotEnrolledIsSentToEnroll() {
        val phone = tempPhone()
        val last = syncOnce { phone.sync }.last()
        assertEquals(UiText(StringKey.ERROR_NOT_ENROLLED), last.outcome)
        assertTrue(last.credentialRefused)
        phone.closeDatabase()
    }

    @Test
    fun aSecondStartWhileRunningIsIgnored() {
        val worker = Executors.newSingleThreadExecutor()
        val release = CountDownLatch(1)
        var calls = 0
        val controller = SyncController(
            runInBackground = { worker.execute(it) },
            post = { it.run() },
            service = {
                calls++
                release.await(30, TimeUnit.SECONDS)
                throw IllegalStateException("stop here")
            },
        )
        assertTrue(controller.start())
        assertTrue(controller.state.running)
        assertFalse(controller.start(), "a second start while running is ignored")
        release.countDown()
        worker.shutdown()
        assertTrue(worker.awaitTermination(30, TimeUnit.SECONDS))
        assertEquals(1, calls)
        assertFalse(controller.state.running)
        assertEquals(UiText(StringKey.ERROR_INTERNAL), controller.state.outcome)
    }

    @Test
    fun anyThrowableBecomesAMessage() {
        val last = syncOnce { throw UnsatisfiedLinkError("libfundi_ffi.so not found") }.last()
        assertEquals(UiText(StringKey.ERROR_INTERNAL), last.outcome)
        assertFalse(last.running)
    }
}
