// The background sync job's work over the real core and a real depot: records, then photos as
// the data saver allows, the orders that newly wait for her (one notification), and when the
// job is tried again (no depot in reach) or not (not enrolled).
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.Category
import uniffi.fundi.NewDraft
import uniffi.fundi.Role

class BackgroundSyncTest {

    @Test
    fun ordersNewSinceTheLastSyncAreToldOnceAndPhotosFollowTheDataSaver() {
        val depot = DepotProcess.start()
        val phone = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        val photos = phone.photos()
        val d = phone.drafts.createDraft(NewDraft("Kiondo basket", "Sisal", listOf("sisal"), Category.BASKETS, 250_000, 4u))
        photos.addDraftPhoto(d.id, fixture("camera-flower-3mp.jpg").path)

        val first = BackgroundSync(phone.sync, photos, null, unmetered = false).run()
        assertFalse(first.retry)
        // The demo depot holds two orders for Akinyi, new to this phone.
        assertEquals(setOf("Kiondo basket", "Olive wood bowl"), first.newOrders.toSet())
        assertEquals(UiText(StringKey.NOTIFY_NEW_ORDERS, 2L), newOrdersText(first.newOrders))
        assertEquals(0u, phone.sync.pendingCount(), "the draft reached the depot")
        val left = photos.uploadStatus()
        assertEquals(Pair(0u, 1u), Pair(left.thumbnails, left.photos), "mobile data, data saver on: the thumbnail only")

        val second = BackgroundSync(phone.sync, photos, null, unmetered = true).run()
        assertEquals(BackgroundOutcome(emptyList(), retry = false), second, "nothing new: no notification")
        assertEquals(0u, photos.uploadStatus().photos, "on Wi-Fi the photo went")

        depot.close()
        assertTrue(BackgroundSync(phone.sync, photos, null, unmetered = true).run().retry, "no depot in reach: try again later")
        phone.closeDatabase()
    }

    @Test
    fun aPhoneNotEnrolledIsNotRetriedAndOneNewOrderIsNamed() {
        val phone = tempPhone()
        assertEquals(BackgroundOutcome(emptyList(), retry = false), BackgroundSync(phone.sync, null, null, unmetered = true).run())
        phone.closeDatabase()
        assertEquals(UiText(StringKey.NOTIFY_NEW_ORDER, "Olive wood bowl"), newOrdersText(listOf("Olive wood bowl")))
        assertNull(newOrdersText(emptyList()))
    }
}
