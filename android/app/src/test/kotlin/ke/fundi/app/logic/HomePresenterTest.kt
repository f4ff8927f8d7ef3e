// The artisan's Today over the real core and a real depot: what needs her (orders offering her
// a command; a draft sent back with the mentor's note, reviewed on the mentor's own phone), what
// waits to sync and what sending it will cost (photos the data saver keeps for Wi-Fi apart),
// what the depot would send back, and when she last synced and what it cost.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.FundiPhone
import uniffi.fundi.Category
import uniffi.fundi.DraftCommand
import uniffi.fundi.Language
import uniffi.fundi.NewDraft
import uniffi.fundi.Role

class HomePresenterTest {

    private val basket = NewDraft("Kiondo basket", "Sisal, natural dyes", listOf("sisal"), Category.BASKETS, 250_000, 4u)

    @Test
    fun aNewPhoneHasNothingToDoAndHasNeverSynced() {
        val phone = tempPhone()
        val state = HomePresenter(phone.drafts, phone.sync, Language.ENGLISH).load()
        assertTrue(state.nothingToDo)
        assertNull(state.lastSyncMs)
        assertEquals(UiText(StringKey.HOME_ALL_SENT), state.waiting)
        assertNull(state.toSettle)
        phone.drafts.createDraft(basket)
        assertEquals(UiText(StringKey.HOME_WAITING, 1L), HomePresenter(phone.drafts, phone.sync, Language.ENGLISH).load().waiting)
        phone.closeDatabase()
    }

    @Test
    fun ordersForHerAndADraftSentBackWithTheMentorsNoteComeFirst() = withDepot { depot ->
        val artisan = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        val mentor = depot.enrolledPhone("mentor", Role.MENTOR)
        val d = artisan.drafts.createDraft(basket)
        artisan.drafts.submitDraft(d.id)
        artisan.sync.syncNow(null)

        val home = HomePresenter(artisan.drafts, artisan.sync, Language.ENGLISH)
        val first = home.load()
        assertEquals(setOf("Kiondo basket", "Olive wood bowl"), first.ordersForYou.map { it.product }.toSet())
        assertEquals("KSh 2,500", first.ordersForYou.single { it.product == "Kiondo basket" }.price)
        assertEquals(emptyList<ReturnedDraft>(), first.returnedDrafts)
        assertNotNull(first.lastSyncMs)
        assertEquals(UiText(StringKey.HOME_ALL_SENT), first.waiting)

        // The mentor reviews on her own phone: the buttons are the core's, the note goes along.
        mentor.sync.syncNow(null)
        val review = ReviewPresenter(mentor.sync)
        val row = review.load().rows.single { it.id == d.id }
        assertEquals(StringKey.STATE_SUBMITTED, row.status)
        assertEquals(listOf(DraftCommand.REQUEST_CHANGES, DraftCommand.APPROVE), row.actions.map { it.command })
        assertTrue(row.actions.single { it.command == DraftCommand.REQUEST_CHANGES }.asksNote)
        val after = review.review(d.id, DraftCommand.REQUEST_CHANGES, "  Show the handle in the main photo ")
        assertEquals(UiText(StringKey.REVIEW_QUEUED), after.notice)
        assertEquals(emptyList<ReviewAction>(), after.rows.single { it.id == d.id }.actions, "reviewed: nothing more to do")
        mentor.sync.syncNow(null)

        artisan.sync.syncNow(null)
        val back = home.load()
        assertEquals(listOf(ReturnedDraft(d.id, "Kiondo basket", "Show the handle in the main photo")), back.returnedDrafts)
        // Her answer to the note: fixed and sent again, it leaves Today.
        artisan.drafts.submitDraft(d.id)
        assertEquals(emptyList<ReturnedDraft>(), home.load().returnedDrafts)
        assertEquals(UiText(StringKey.HOME_WAITING, 1L), home.load().waiting)
        artisan.closeDatabase()
        mentor.closeDatabase()
    }

    @Test
    fun whatTheNextSyncWillCostAndWhatTheLastOneCost() = withDepot { depot ->
        val artisan = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        val photos = artisan.photos()
        val d = artisan.drafts.createDraft(basket)
        val photo = photos.addDraftPhoto(d.id, fixture("camera-flower-3mp.jpg").path)
        val onData = HomePresenter(artisan.drafts, artisan.sync, Language.ENGLISH, unmetered = false)
        val before = onData.load()
        assertNull(before.lastTally, "never synced")
        // On mobile data with the data saver on: her changes (the draft, its photo) and the small
        // photo; the photo waits.
        val send = before.toSend!!
        assertEquals(StringKey.HOME_TO_SEND, send.key)
        assertEquals(listOf(2L, 1L, 0L), listOf(send.args[0], send.args[2], send.args[4]), "$send")
        assertEquals(2u, artisan.sync.syncStatus().pending)
        assertEquals("0 B", send.args[5])
        val wifi = before.photosWaitForWifi!!
        assertEquals(StringKey.HOME_PHOTOS_WAIT_WIFI, wifi.key)
        assertEquals(1L, wifi.args[0])
        assertEquals(sizeText(artisan.sync.syncEstimate(false, false).photosHeldBack.bytes), wifi.args[1])
        assertTrue(artisan.sync.syncEstimate(false, false).photosHeldBack.bytes >= photo.bytes)
        // On Wi-Fi the photo goes too.
        val onWifi = HomePresenter(artisan.drafts, artisan.sync, Language.ENGLISH, unmetered = true).load()
        assertNull(onWifi.photosWaitForWifi)
        assertEquals(1L, onWifi.toSend!!.args[4])
        // Coming back: the demo depot's two orders for her, and her draft from cursor 0.
        val receive = onData.toReceive()
        assertEquals(StringKey.HOME_TO_RECEIVE, receive.key)
        assertEquals(3L, receive.args[0], "$receive")

        val report = artisan.sync.syncNow(null)
        assertEquals(3u, report.pulled)
        photos.uploadPhotos(false, null)
        val after = onData.load()
        val tally = artisan.sync.syncStatus().lastTally!!
        assertEquals(UiText(StringKey.HOME_LAST_TALLY, sizeText(tally.bytesSent), sizeText(tally.bytesReceived)), after.lastTally)
        assertTrue(tally.bytesSent > photo.thumbBytes, "the small photo went: $tally")
        assertNull(after.toSend, "nothing left that may go on mobile data")
        assertEquals(wifi, after.photosWaitForWifi, "the photo still waits for Wi-Fi")

        // The tally outlives a restart.
        val path = artisan.dir.resolve("phone.db").toString()
        artisan.closeDatabase()
        FundiPhone.open(path).use { again ->
            assertEquals(after.lastTally, HomePresenter(again.drafts(), again.sync(), Language.ENGLISH).load().lastTally)
        }
        // The depot gone: asking what it would send says it cannot be reached.
        val other = depot.enrolledPhone("artisan Baraka", Role.ARTISAN)
        depot.close()
        assertEquals(UiText(StringKey.SYNC_OFFLINE), HomePresenter(other.drafts, other.sync, Language.ENGLISH).toReceive())
        other.closeDatabase()
    }

    @Test
    fun sizesReadAsBytesKilobytesAndMegabytes() {
        assertEquals("0 B", sizeText(0uL))
        assertEquals("1023 B", sizeText(1023uL))
        assertEquals("1 KB", sizeText(1024uL))
        assertEquals("15 KB", sizeText(15_500uL))
        assertEquals("1.2 MB", sizeText(1_300_000uL))
    }

    @Test
    fun aMentorMakesANewArtisansCodeThatEnrollsANewPhone() = withDepot { depot ->
        val mentor = depot.enrolledPhone("mentor", Role.MENTOR)
        val review = ReviewPresenter(mentor.sync)
        assertEquals(UiText(StringKey.ENROLL_NAME_REQUIRED), review.enrollArtisan("  ").message)
        val made = review.enrollArtisan("Chebet Kiprono")
        val code = made.code
        assertNotNull(code, "${made.message}")
        assertTrue(made.expiresMs > System.currentTimeMillis())
        val newPhone = tempPhone()
        assertEquals(Route.ARTISAN_HOME, FirstRunPresenter(newPhone.sync).enroll(depot.url, code!!).enrolledAs)
        newPhone.closeDatabase()
        mentor.closeDatabase()
    }
}
