// First run, and enrolling again after the depot refused this phone: the language (applied at
// once), the one-time code (its printed form shown as it is typed, as the core reads it), the
// depot address (the demo depot's by default), and the changes kept from before, counted.
package ke.fundi.app

import android.os.Bundle
import android.text.Editable
import android.text.TextWatcher
import android.view.View
import android.widget.Button
import android.widget.EditText
import android.widget.ProgressBar
import android.widget.TextView
import ke.fundi.app.logic.AppLanguage
import ke.fundi.app.logic.EnrollField
import ke.fundi.app.logic.FirstRunPresenter
import ke.fundi.app.logic.FirstRunState
import ke.fundi.app.logic.Route

class FirstRunActivity : FundiActivity() {

    private lateinit var code: EditText
    private lateinit var depot: EditText
    private lateinit var preview: TextView
    private lateinit var codeError: TextView
    private lateinit var depotError: TextView
    private lateinit var message: TextView
    private lateinit var unsynced: TextView
    private lateinit var enroll: Button
    private lateinit var progress: ProgressBar

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_first_run)
        setTitle(R.string.first_run_title)
        code = findViewById(R.id.field_code)
        depot = findViewById(R.id.field_depot)
        preview = findViewById(R.id.code_preview)
        codeError = findViewById(R.id.error_code)
        depotError = findViewById(R.id.error_depot)
        message = findViewById(R.id.first_run_message)
        unsynced = findViewById(R.id.first_run_unsynced)
        enroll = findViewById(R.id.action_enroll)
        progress = findViewById(R.id.first_run_progress)

        findViewById<Button>(R.id.language_swahili).setOnClickListener { switchLanguage(AppLanguage.SWAHILI) }
        findViewById<Button>(R.id.language_english).setOnClickListener { switchLanguage(AppLanguage.ENGLISH) }
        markLanguage()
        // The fields keep their own text across rotation; the address starts as the saved one.
        if (savedInstanceState == null) depot.setText(app.depotUrl())
        code.addTextChangedListener(object : TextWatcher {
            override fun beforeTextChanged(s: CharSequence?, start: Int, count: Int, after: Int) {}
            override fun onTextChanged(s: CharSequence?, start: Int, before: Int, count: Int) {}
            override fun afterTextChanged(s: Editable?) {
                val shown = FirstRunPresenter.previewOf(s?.toString().orEmpty())
                preview.showOrHide(shown?.let { getString(R.string.code_preview, it) })
            }
        })
        enroll.setOnClickListener { submit() }
        work(work = { presenter().load() }, done = ::show)
    }

    private fun presenter() = FirstRunPresenter(app.sync())

    /** The chosen language's button is marked, so the choice is visible and announced. */
    private fun markLanguage() {
        val current = if (app.languageChosen()) app.appLanguage() else null
        for ((id, language) in listOf(R.id.language_swahili to AppLanguage.SWAHILI, R.id.language_english to AppLanguage.ENGLISH)) {
            val button = findViewById<Button>(id)
            button.isSelected = language == current
            button.setCompoundDrawablesRelativeWithIntrinsicBounds(if (language == current) R.drawable.ic_check else 0, 0, 0, 0)
        }
    }

    private fun submit() {
        val url = depot.text.toString()
        val typed = code.text.toString()
        enroll.isEnabled = false
        progress.visibility = View.VISIBLE
        work(
            work = { presenter().enroll(url, typed) },
            done = { state ->
                enroll.isEnabled = true
                progress.visibility = View.GONE
                if (state.enrolledAs != null) app.setDepotUrl(url)
                show(state)
            },
        )
    }

    private fun show(state: FirstRunState) {
        unsynced.showOrHide(if (state.unsynced > 0) getString(R.string.first_run_unsynced, state.unsynced) else null)
        val text = state.message?.let { text(it) }
        codeError.showOrHide(if (state.messageField == EnrollField.CODE) text else null)
        depotError.showOrHide(if (state.messageField == EnrollField.DEPOT) text else null)
        message.showOrHide(if (state.messageField == null) text else null)
        when (state.messageField) {
            EnrollField.CODE -> code.requestFocus()
            EnrollField.DEPOT -> depot.requestFocus()
            null -> {}
        }
        text?.let { message.announceForAccessibility(it) }
        val route = state.enrolledAs ?: return
        app.credentialRefused = false
        if (route != Route.FIRST_RUN) restartAtLauncher()
    }
}
