// The artisan's Today over the real core and a real depot: what needs her (orders offering her
// a command; a draft sent back with the mentor's note, reviewed on the mentor's own phone), what
// waits to sync, and when she last synced.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
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
