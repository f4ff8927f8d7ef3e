// Runs a sync bound to the network the depot is on (logic/DepotNetworkChoice): the process is
// bound to a Wi-Fi network without internet for the sync's duration, then unbound, so that a
// depot's local Wi-Fi works while Android keeps mobile data as its default network.
package ke.fundi.app

import android.content.Context
import android.net.ConnectivityManager
import android.net.NetworkCapabilities
import ke.fundi.app.logic.NetworkFacts
import ke.fundi.app.logic.depotNetwork

object DepotNetwork {

    /** Run [body] with the process bound to the depot's network when one is chosen. */
    fun <T> bound(context: Context, body: () -> T): T {
        val connectivity = context.getSystemService(ConnectivityManager::class.java) ?: return body()
        @Suppress("DEPRECATION") // allNetworks: the one call that lists every connected network on API 26-30 too
        val facts = connectivity.allNetworks.mapNotNull { network ->
            val caps = connectivity.getNetworkCapabilities(network) ?: return@mapNotNull null
            NetworkFacts(
                network,
                wifi = caps.hasTransport(NetworkCapabilities.TRANSPORT_WIFI),
                validatedInternet = caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_VALIDATED),
            )
        }
        val chosen = depotNetwork(facts, connectivity.activeNetwork) ?: return body()
        if (!connectivity.bindProcessToNetwork(chosen)) return body()
        try {
            return body()
        } finally {
            connectivity.bindProcessToNetwork(null)
        }
    }
}
