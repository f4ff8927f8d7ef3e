// Depot staff and operations: their work (quality checks, stock, orders, people) is in the
// depot's web console, opened in a browser at the depot's address.
package ke.fundi.app

import android.os.Bundle
import android.widget.Button
import android.widget.TextView

class ConsoleNoteActivity : FundiActivity() {

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_console_note)
        setTitle(R.string.console_title)
        findViewById<TextView>(R.id.console_address).text = getString(R.string.console_address, app.depotUrl())
        findViewById<Button>(R.id.nav_settings).setOnClickListener { open(SettingsActivity::class.java) }
    }
}
