// A home screen with the "Sync now" panel (the artisan's Today and the mentor's home): the panel
// follows the shared sync while the screen is shown, the screen reloads when a sync ends, and
// a sync the depot refused the credential for sends the user back to enroll again.
package ke.fundi.app

import ke.fundi.app.logic.SyncProgress

abstract class SyncingActivity : FundiActivity() {

    protected lateinit var panel: SyncPanel

    /** Call in `onCreate`, after `setContentView` (the panel finds its views). */
    protected fun attachSyncPanel() {
        panel = SyncPanel(this, ::syncFinished)
    }

    /** Show the screen's data again (on resume, and after a sync). */
    protected abstract fun reload()

    override fun onResume() {
        super.onResume()
        panel.attach()
        reload()
    }

    override fun onPause() {
        super.onPause()
        panel.detach()
    }

    private fun syncFinished(state: SyncProgress) {
        if (state.credentialRefused) {
            app.credentialRefused = true
            app.syncController.credentialRefusalHandled()
            restartAtLauncher()
        } else {
            afterSync()
        }
    }

    /** What a finished sync brings to this screen: by default, its data shown again. */
    protected open fun afterSync() = reload()
}
