// A mentor's mentees over the real core and a real depot: her enrolled mentee with the draft
// waiting for review and the demo's late order, the demo mentee whose code waits, quiet phones
// first, her lost phone revoked from her row; and the rules of "quiet" on their own.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.Category
import uniffi.fundi.MenteeView
import uniffi.fundi.NewDraft
import uniffi.fundi.Role

class MenteesPresenterTest {

    @Test
    fun aMentorSeesWhoIsEnrolledAndWhatWaitsForHer() = withDepot { depot ->
        val artisan = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        val mentor = depot.enrolledPhone("mentor", Role.MENTOR)
        val d = artisan.drafts.createDraft(NewDraft("Kiondo basket", "Sisal", listOf("sisal"), Category.BASKETS, 250_000, 4u))
        artisan.drafts.submitDraft(d.id)
        artisan.sync.syncNow(null)
        assertEquals(MenteesState(emptyList()), MenteesPresenter(mentor.sync).load(), "nothing before her first sync")
        mentor.sync.syncNow(null)

        val rows = MenteesPresenter(mentor.sync).load().rows
        val akinyi = rows.single { it.accountId == depot.account("artisan Akinyi").accountId }
        assertEquals(UiText(StringKey.MENTEE_PHONE_ENROLLED), akinyi.phone)
        assertEquals(UiText(StringKey.MENTEE_DRAFTS_WAITING, 1L), akinyi.draftsWaiting)
        assertFalse(akinyi.quiet)
        assertTrue(akinyi.lastSeenMs!! <= System.currentTimeMillis())
        // The demo's olive wood bowl was due two days ago: she is late with one order, and comes first.
        assertEquals(UiText(StringKey.MENTEE_LATE_ORDERS, 1L), akinyi.lateOrders)
        assertEquals(akinyi.accountId, rows.first().accountId)
        assertEquals(listOf(artisan.sync.deviceId()), akinyi.phones.map { it.deviceId })
        // Every other demo mentee of hers has not enrolled a phone: her code waits.
        for (other in rows.filter { it !== akinyi }) {
            assertEquals(UiText(StringKey.MENTEE_CODE_WAITING), other.phone, other.name)
            assertNull(other.lastSeenMs)
        }
        // A week on, Akinyi's phone has gone quiet and comes first.
        val later = MenteesPresenter(mentor.sync).load(nowMs = akinyi.lastSeenMs!! + QUIET_AFTER_MS + 1)
        assertEquals(akinyi.accountId, later.rows.first().accountId)
        assertTrue(later.rows.first().quiet)

        // Her phone is lost: the mentor revokes it from her row. The phone is refused at once;
        // her row shows no phone after the mentor's next sync.
        val mentees = MenteesPresenter(mentor.sync)
        assertEquals(RevokeState(true, UiText(StringKey.REVOKE_DONE)), mentees.revokePhone(akinyi.phones.single().deviceId))
        assertTrue(runCatching { artisan.sync.syncNow(null) }.isFailure, "the revoked phone cannot sync")
        mentor.sync.syncNow(null)
        val after = mentees.load().rows.single { it.accountId == akinyi.accountId }
        assertEquals(UiText(StringKey.MENTEE_NO_PHONE), after.phone)
        assertEquals(emptyList<MenteePhone>(), after.phones)
        artisan.closeDatabase()
        mentor.closeDatabase()
    }

    @Test
    fun onlyAPhoneSheHasCanGoQuiet() {
        val now = 10L * QUIET_AFTER_MS
        fun view(phones: UInt, code: Boolean, seen: Long?) = MenteeView("id", "Chebet", phones, code, seen?.toULong(), 0u, 0u, emptyList())
        assertFalse(menteeRow(view(0u, true, null), now).quiet, "a code waiting is not news")
        assertEquals(UiText(StringKey.MENTEE_NO_PHONE), menteeRow(view(0u, false, now - 1), now).phone)
        assertFalse(menteeRow(view(0u, false, 0), now).quiet, "a revoked phone is not quiet")
        assertTrue(menteeRow(view(1u, false, null), now).quiet, "enrolled and never synced")
        assertTrue(menteeRow(view(1u, false, now - QUIET_AFTER_MS - 1), now).quiet)
        assertFalse(menteeRow(view(1u, false, now - QUIET_AFTER_MS), now).quiet)
        assertNull(menteeRow(view(1u, false, now), now).draftsWaiting)
        assertNull(menteeRow(view(1u, false, now), now).lateOrders, "none late: nothing said")
    }
}
