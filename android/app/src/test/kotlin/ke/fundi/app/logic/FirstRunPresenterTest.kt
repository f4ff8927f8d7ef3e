// First run over the real core and a real depot: the code read forgivingly, every kind of
// refusal in the user's terms and on the field it concerns, routing by role, and a revoked
// phone sent back to enroll with its unsynced changes counted.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test
import uniffi.fundi.Category
import uniffi.fundi.NewDraft
import uniffi.fundi.Role

class FirstRunPresenterTest {

    private fun messy(code: String) = code.lowercase().replace("-", " - ").let { " $it " }

    @Test
    fun theCodeIsReadForgivinglyAndAShapelessOneCostsNoRequest() {
        val phone = tempPhone()
        val p = FirstRunPresenter(phone.sync)
        assertEquals("0FFF-3A15-4537", p.codePreview("0fff 3a15-4537"))
        assertEquals("0FFF-3A15-4537", p.codePreview(" 0FFF3A154537 "))
        assertNull(p.codePreview("0FFF-3A15-453"))
        assertNull(p.codePreview("0FFF-3A15-453X"))
        // A closed port: had the shape check not stopped it, this would be Offline.
        val state = p.enroll("https://127.0.0.1:9", "12345")
        assertEquals(UiText(StringKey.ENROLL_CODE_SHAPE), state.message)
        assertEquals(EnrollField.CODE, state.messageField)
        assertEquals(UiText(StringKey.ENROLL_DEPOT_REQUIRED), p.enroll("  ", "0FFF-3A15-4537").message)
        phone.closeDatabase()
    }

    @Test
    fun noDepotAndPlainHttpAreTheAddressesFault() {
        val phone = tempPhone()
        val p = FirstRunPresenter(phone.sync)
        val offline = p.enroll("https://127.0.0.1:9", "0FFF-3A15-4537")
        assertEquals(UiText(StringKey.ENROLL_NO_DEPOT) to EnrollField.DEPOT, offline.message to offline.messageField)
        val plain = p.enroll("http://127.0.0.1:9", "0FFF-3A15-4537")
        assertEquals(UiText(StringKey.ENROLL_HTTPS_REQUIRED) to EnrollField.DEPOT, plain.message to plain.messageField)
        assertEquals(Route.FIRST_RUN, decideRoute(phone.sync, credentialRefused = false).route)
        phone.closeDatabase()
    }

    @Test
    fun eachRoleIsRoutedToItsScreenAndAUsedOrUnknownCodeIsRefusedAsSuch() = withDepot { depot ->
        val expected = mapOf(
            "artisan Akinyi" to Route.ARTISAN_HOME,
            "mentor" to Route.MENTOR_HOME,
            "staff" to Route.CONSOLE_NOTE,
            "operations" to Route.CONSOLE_NOTE,
        )
        for ((who, route) in expected) {
            val phone = tempPhone()
            val state = FirstRunPresenter(phone.sync).enroll(depot.url, messy(depot.account(who).code))
            assertNull(state.message, "$who: ${state.message}")
            assertEquals(route, state.enrolledAs, who)
            assertEquals(route, decideRoute(phone.sync, credentialRefused = false).route, who)
            assertEquals(Route.FIRST_RUN, decideRoute(phone.sync, credentialRefused = true).route, who)
            phone.closeDatabase()
        }
        // The artisan's code again, on another phone: used. Then a code never issued.
        val other = tempPhone()
        val p = FirstRunPresenter(other.sync)
        val used = p.enroll(depot.url, depot.account("artisan Akinyi").code)
        assertEquals(UiText(StringKey.ENROLL_CODE_USED) to EnrollField.CODE, used.message to used.messageField)
        assertNull(used.enrolledAs)
        val unknown = p.enroll(depot.url, "ABCD-ABCD-ABCD")
        assertEquals(UiText(StringKey.ENROLL_CODE_REFUSED) to EnrollField.CODE, unknown.message to unknown.messageField)
        assertEquals(Route.FIRST_RUN, decideRoute(other.sync, credentialRefused = false).route)
        other.closeDatabase()
    }

    @Test
    fun anExpiredCodeIsToldApartFromAWrongOne() {
        // The depot's answers as the core types them (an expired code cannot be made here
        // without waiting 7 days; its answer is the depot's documented one).
        assertEquals(UiText(StringKey.ENROLL_CODE_EXPIRED) to EnrollField.CODE, enrollErrorText(uniffi.fundi.FundiException.Unauthorized("token_expired")))
        assertEquals(UiText(StringKey.ENROLL_CODE_REFUSED) to EnrollField.CODE, enrollErrorText(uniffi.fundi.FundiException.Unauthorized("unauthorized")))
        assertEquals(UiText(StringKey.ERROR_DEPOT) to null, enrollErrorText(uniffi.fundi.FundiException.Depot("busy", "try later")))
    }

    @Test
    fun aRevokedPhoneIsSentBackWithItsUnsyncedChangesCounted() = withDepot { depot ->
        val artisan = depot.enrolledPhone("artisan Baraka", Role.ARTISAN)
        val mentor = depot.enrolledPhone("mentor", Role.MENTOR)
        // The mentor revokes the lost phone by the id its Settings screen shows.
        val mentees = MenteesPresenter(mentor.sync)
        assertEquals(RevokeState(false, UiText(StringKey.REVOKE_ID_REQUIRED)), mentees.revokePhone(" "))
        assertEquals(RevokeState(false, UiText(StringKey.REVOKE_REFUSED)), mentees.revokePhone("01900000-0000-7000-8000-0000000000ff"))
        assertEquals(RevokeState(true, UiText(StringKey.REVOKE_DONE)), mentees.revokePhone(" ${artisan.sync.deviceId()} "))
        artisan.drafts.createDraft(NewDraft("Beaded necklace", "", listOf("beads"), Category.BEADWORK, 120_000, 5u))
        artisan.drafts.createDraft(NewDraft("Beaded belt", "", listOf("beads"), Category.BEADWORK, 90_000, 5u))

        val (text, refused) = try {
            artisan.sync.syncNow(null)
            error("a revoked phone synced")
        } catch (e: Exception) {
            syncFailureText(e)
        }
        assertEquals(UiText(StringKey.SYNC_CREDENTIAL_REFUSED), text)
        assertEquals(true, refused)
        // The app remembers the refusal; the launcher then sends the phone to enroll again.
        assertEquals(Route.FIRST_RUN, decideRoute(artisan.sync, credentialRefused = refused).route)
        val state = FirstRunPresenter(artisan.sync).load()
        assertEquals(2L, state.unsynced, "both drafts are kept and counted")
        assertEquals(2, artisan.drafts.listDrafts().size)
        artisan.closeDatabase()
        mentor.closeDatabase()
    }
}
