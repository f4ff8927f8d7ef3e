// The launcher: reads who is enrolled (on the worker) and opens that user's screen: the
// artisan's Today, the mentor's home, the console note for staff and operations, or first run
// (not enrolled yet, or the depot refused this phone's credential). An enrolled artisan's or
// mentor's phone gets its background sync job scheduled here.
package ke.fundi.app

import android.os.Bundle
import android.widget.TextView
import ke.fundi.app.logic.Route
import ke.fundi.app.logic.RouteDecision
import ke.fundi.app.logic.decideRoute
import ke.fundi.app.logic.errorText
import uniffi.fundi.FundiException

class LauncherActivity : FundiActivity() {

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_launcher)
        val refused = app.credentialRefused
        work(
            work = {
                try {
                    decideRoute(app.sync(), refused)
                } catch (e: FundiException) {
                    // The database could not even be opened: first run shows why.
                    RouteDecision(Route.FIRST_RUN, errorText(e))
                }
            },
            done = ::go,
        )
    }

    private fun go(decision: RouteDecision) {
        val message = decision.message
        if (message != null) {
            findViewById<TextView>(R.id.launcher_message).showOrHide(text(message))
        }
        val target = when (decision.route) {
            Route.FIRST_RUN -> FirstRunActivity::class.java
            Route.ARTISAN_HOME -> HomeActivity::class.java
            Route.MENTOR_HOME -> MentorActivity::class.java
            Route.CONSOLE_NOTE -> ConsoleNoteActivity::class.java
        }
        // An artisan's or a mentor's phone syncs in the background too (kept if already pending).
        if (decision.route == Route.ARTISAN_HOME || decision.route == Route.MENTOR_HOME) SyncJobService.schedule(this)
        open(target)
        finish()
    }
}
