// The test depot itself: a real `fundi-depot serve --demo` process on loopback, its address
// and demo codes read from what it prints, a phone enrolled over HTTPS (the depot's key pinned
// by the enrollment), and the process gone after close.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.FundiException
import uniffi.fundi.Role
import uniffi.fundi.formatEnrollmentCode

class DepotProcessTest {

    @Test
    fun theDemoDepotListensOnLoopbackAndPrintsACodePerAccount() {
        val depot = DepotProcess.start()
        depot.use {
            assertTrue(it.url.matches(Regex("""https://127\.0\.0\.1:\d+""")), it.url)
            assertTrue(it.keyLine.startsWith("depot key "), it.keyLine)
            assertEquals(
                setOf("operations", "mentor", "staff", "artisan Akinyi", "artisan Baraka"),
                it.accounts.keys,
            )
            for (account in it.accounts.values) {
                // Every printed code is one the core reads as a code, printed as it prints them.
                assertEquals(account.code, formatEnrollmentCode(account.code), account.who)
            }
            val phone = it.enrolledPhone("artisan Akinyi", Role.ARTISAN)
            val status = phone.sync.syncStatus()
            assertTrue(status.enrolled)
            assertEquals(it.account("artisan Akinyi").accountId, status.accountId)
            phone.sync.syncNow(null)
            assertNotNull(phone.sync.syncStatus().lastSyncMs)
            phone.closeDatabase()
        }
        // Stopped: a phone finds no depot there any more.
        val late = tempPhone()
        val e = runCatching { late.sync.enrollDevice(depot.url, depot.account("mentor").code) }.exceptionOrNull()
        assertTrue(e is FundiException.Offline, "expected Offline after close, got $e")
        assertFalse(late.sync.syncStatus().enrolled)
        late.closeDatabase()
    }
}
