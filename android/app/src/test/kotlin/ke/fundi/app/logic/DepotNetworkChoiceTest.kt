// Which network a sync is bound to: the depot's Wi-Fi without internet over mobile data.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test

class DepotNetworkChoiceTest {
    private val mobile = NetworkFacts("mobile", wifi = false, validatedInternet = true)
    private val depotWifi = NetworkFacts("depot-wifi", wifi = true, validatedInternet = false)
    private val homeWifi = NetworkFacts("home-wifi", wifi = true, validatedInternet = true)

    @Test
    fun theDepotsWifiWithoutInternetWinsOverTheDefaultMobileData() {
        assertEquals("depot-wifi", depotNetwork(listOf(mobile, depotWifi), default = "mobile"))
        assertEquals("depot-wifi", depotNetwork(listOf(homeWifi, depotWifi, mobile), default = "mobile"))
    }

    @Test
    fun nothingToBindWhenTheDefaultIsTheWifiOrThereIsNone() {
        assertNull(depotNetwork(listOf(depotWifi), default = "depot-wifi"))
        assertNull(depotNetwork(listOf(mobile), default = "mobile"))
        assertNull(depotNetwork(emptyList<NetworkFacts<String>>(), default = null))
        assertEquals("home-wifi", depotNetwork(listOf(mobile, homeWifi), default = "mobile"), "a Wi-Fi with internet over mobile data")
    }
}
