// Which network a sync goes over. A depot's Wi-Fi often has no internet behind it; Android then
// keeps mobile data as the default network and the depot, on the Wi-Fi's own subnet, is out of
// reach. So a sync goes over a connected Wi-Fi network whenever there is one (the depot is
// reached by its local address), and otherwise over the default network.
package ke.fundi.app.logic

/** A network as the platform describes it: its handle, whether it is Wi-Fi, whether it has internet that Android checked. */
data class NetworkFacts<N>(val network: N, val wifi: Boolean, val validatedInternet: Boolean)

/**
 * The network to bind the sync to, or null to leave the default. A Wi-Fi network wins, one
 * without internet first (the depot's own Wi-Fi, when the phone also knows a Wi-Fi with
 * internet); nothing to bind when the default is already that Wi-Fi.
 */
fun <N> depotNetwork(networks: List<NetworkFacts<N>>, default: N?): N? {
    val wifi = networks.filter { it.wifi }
    val choice = wifi.firstOrNull { !it.validatedInternet } ?: wifi.firstOrNull() ?: return null
    return if (choice.network == default) null else choice.network
}
