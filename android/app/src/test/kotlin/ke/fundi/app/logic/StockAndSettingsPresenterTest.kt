// Stock at the depot over the real core and a real depot (staff receive the artisan's
// product; her phone shows the level and the movement), and settings: the language choice,
// the data saver kept in the phone's database, and what signing out would lose.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.Category
import uniffi.fundi.FundiPhone
import uniffi.fundi.Language
import uniffi.fundi.NewDraft
import uniffi.fundi.Role

class StockAndSettingsPresenterTest {

    @Test
    fun stockReceivedAtTheDepotReachesTheArtisan() = withDepot { depot ->
        val artisan = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        val staff = depot.enrolledPhone("staff", Role.STAFF)
        assertTrue(StockPresenter(artisan.sync).levels().isEmpty)
        val d = artisan.drafts.createDraft(NewDraft("Kiondo basket", "Sisal", listOf("sisal"), Category.BASKETS, 250_000, 4u))
        artisan.sync.syncNow(null)
        staff.sync.syncNow(null)

        staff.sync.recordStock(d.id, 5, "received")
        // On the staff phone first, pending until the depot applies it.
        assertEquals(listOf(Triple("+5", "received", true)), StockPresenter(staff.sync).movements(d.id).rows.map { Triple(it.change, it.reason, it.pending) })
        staff.sync.syncNow(null)
        staff.sync.recordStock(d.id, -2, "shipped")
        staff.sync.syncNow(null)
        artisan.sync.syncNow(null)

        val p = StockPresenter(artisan.sync)
        val level = p.levels().rows.single()
        assertEquals(StockRow(d.id, "Kiondo basket", UiText(StringKey.STOCK_UNITS, 3L)), level)
        val moves = p.movements(d.id).rows
        assertEquals(listOf("-2" to "shipped", "+5" to "received"), moves.map { it.change to it.reason })
        assertTrue(moves.none { it.pending })
        artisan.closeDatabase()
        staff.closeDatabase()
    }

    @Test
    fun signingOutListsWhatIsNotAtTheDepot() {
        val phone = tempPhone()
        val p = SettingsPresenter(phone.sync)
        assertTrue(p.signOutSummary().safe)
        phone.drafts.createDraft(NewDraft("Soapstone bowl", "", listOf("soapstone"), Category.CARVINGS, 90_000, 3u))
        val summary = p.signOutSummary()
        assertEquals(listOf(UiText(StringKey.SIGN_OUT_PENDING, 1L)), summary.lines)
        assertTrue(!summary.safe)
        phone.closeDatabase()
        assertEquals(UiText(StringKey.ERROR_CLOSED), p.signOutSummary().message)
    }

    @Test
    fun theDataSaverIsOnByDefaultAndKeptByTheCore() {
        val phone = tempPhone()
        val p = SettingsPresenter(phone.sync)
        assertEquals(DataSaverState(true, UiText(StringKey.DATA_SAVER_ON_NOTE)), p.dataSaver())
        assertEquals(DataSaverState(false, UiText(StringKey.DATA_SAVER_OFF_NOTE)), p.setDataSaver(false))
        assertFalse(phone.sync.syncStatus().dataSaver)
        val path = phone.dir.resolve("phone.db").toString()
        phone.closeDatabase()
        assertEquals(UiText(StringKey.ERROR_CLOSED), p.setDataSaver(true).message)
        FundiPhone.open(path).use { again ->
            assertEquals(DataSaverState(false, UiText(StringKey.DATA_SAVER_OFF_NOTE)), SettingsPresenter(again.sync()).dataSaver())
        }
    }

    @Test
    fun theAppLanguageFollowsTheTagAndDefaultsToEnglish() {
        assertEquals(AppLanguage.SWAHILI, AppLanguage.of("sw"))
        assertEquals(AppLanguage.SWAHILI, AppLanguage.of("sw-KE"))
        assertEquals(AppLanguage.ENGLISH, AppLanguage.of("en-KE"))
        assertEquals(AppLanguage.ENGLISH, AppLanguage.of("fr"))
        assertEquals(AppLanguage.ENGLISH, AppLanguage.of(null))
        assertEquals(Language.SWAHILI, AppLanguage.SWAHILI.core)
        assertEquals(AppLanguage.SWAHILI, AppLanguage.of(AppLanguage.SWAHILI.tag))
    }
}
