// The "Sync now" panel of the home screens: the button, a progress bar and line fed by the
// core's SyncListener, and the outcome. The sync itself belongs to the process
// (FundiApp.syncController), so a screen rotated or recreated mid-sync shows it still running;
// the panel observes it while the screen is in front.
package ke.fundi.app

import android.view.View
import android.widget.Button
import android.widget.ProgressBar
import android.widget.TextView
import ke.fundi.app.logic.SyncProgress

class SyncPanel(
    private val activity: FundiActivity,
    /** Called once a sync finished (reload the screen), with whether the credential was refused. */
    private val finished: (SyncProgress) -> Unit,
) {
    private val app = activity.application as FundiApp
    private val button: Button = activity.findViewById(R.id.sync_now)
    private val bar: ProgressBar = activity.findViewById(R.id.sync_progress)
    private val step: TextView = activity.findViewById(R.id.sync_step)
    private val outcome: TextView = activity.findViewById(R.id.sync_outcome)
    private val refused: TextView = activity.findViewById(R.id.sync_refused)
    private var wasRunning = false

    private val observer: (SyncProgress) -> Unit = { state ->
        show(state)
        if (wasRunning && !state.running) finished(state)
        wasRunning = state.running
    }

    init {
        button.setOnClickListener { app.syncController.start() }
    }

    /** From onResume. A sync that ended while the screen was away still reports a refused credential. */
    fun attach() {
        val now = app.syncController.state
        wasRunning = now.running
        app.syncController.observe(observer)
        if (!now.running && now.credentialRefused) finished(now)
    }

    /** From onPause. */
    fun detach() {
        app.syncController.stopObserving(observer)
    }

    private fun show(state: SyncProgress) {
        button.isEnabled = !state.running
        bar.visibility = if (state.running) View.VISIBLE else View.GONE
        // Pulling has no known end: the bar then spins instead of filling.
        bar.isIndeterminate = state.total <= 0
        if (state.total > 0) {
            bar.max = state.total
            bar.progress = state.done
        }
        step.showOrHide(if (state.running) state.step?.let { activity.text(it) } else null)
        outcome.showOrHide(if (state.running) null else state.outcome?.let { activity.text(it) })
        refused.showOrHide(if (state.running) null else state.refusedNote?.let { activity.text(it) })
    }
}
