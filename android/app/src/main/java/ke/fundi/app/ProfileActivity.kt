// A profile: the user's own (from Settings), or a mentee's for a mentor (tapped in Mentees,
// EXTRA_ACCOUNT_ID and EXTRA_NAME). Display name, location, phone and her story for shoppers,
// and her consent to show her name and story beside her products (a checkbox on her own
// profile; on a mentee's, what she chose, in words: only she answers). Save sends what
// changed, and a field the core refuses shows the core's reason under it. What was typed
// survives a rotation (the framework keeps EditText and CheckBox state); the profile itself is
// read on the worker.
package ke.fundi.app

import android.os.Bundle
import android.view.View
import android.widget.Button
import android.widget.CheckBox
import android.widget.EditText
import android.widget.TextView
import ke.fundi.app.logic.ProfilePresenter
import ke.fundi.app.logic.ProfileState
import uniffi.fundi.ProfileField

class ProfileActivity : FundiActivity() {

    private var shown: ProfileState? = null

    /** Each field's input and its error line. */
    private val fields: Map<ProfileField, Pair<Int, Int>> = linkedMapOf(
        ProfileField.DISPLAY_NAME to (R.id.field_display_name to R.id.error_display_name),
        ProfileField.LOCATION to (R.id.field_location to R.id.error_location),
        ProfileField.PHONE to (R.id.field_phone to R.id.error_phone),
        ProfileField.STORY to (R.id.field_story to R.id.error_story),
    )

    private val menteeId: String? get() = intent.getStringExtra(EXTRA_ACCOUNT_ID)

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_profile)
        actionBar?.setDisplayHomeAsUpEnabled(true)
        val name = intent.getStringExtra(EXTRA_NAME)
        title = if (menteeId != null) getString(R.string.profile_title_mentee, name ?: "") else getString(R.string.profile_title_own)
        if (menteeId != null) {
            findViewById<TextView>(R.id.profile_note).setText(R.string.profile_note_mentee)
            findViewById<CheckBox>(R.id.field_publish).visibility = View.GONE
        }
        val save = findViewById<Button>(R.id.action_save_profile)
        save.isEnabled = false
        save.setOnClickListener { save() }
        val restoring = savedInstanceState != null
        work(work = { ProfilePresenter(app.sync()).load(menteeId) }, done = { state -> show(state, fillFields = !restoring) })
    }

    private fun typed(): Map<ProfileField, String> =
        fields.mapValues { (_, ids) -> findViewById<EditText>(ids.first).text.toString() }

    private fun save() {
        val state = shown ?: return
        val typed = typed()
        val publish = if (state.mentee) state.publish else findViewById<CheckBox>(R.id.field_publish).isChecked
        findViewById<Button>(R.id.action_save_profile).isEnabled = false
        work(work = { ProfilePresenter(app.sync()).save(state, typed, publish) }, done = { show(it, fillFields = true) })
    }

    private fun show(state: ProfileState, fillFields: Boolean) {
        shown = state
        for ((field, ids) in fields) {
            if (fillFields) findViewById<EditText>(ids.first).setText(state.values[field] ?: "")
            findViewById<TextView>(ids.second).showOrHide(state.fieldErrors[field]?.let { text(it) })
        }
        if (fillFields) findViewById<CheckBox>(R.id.field_publish).isChecked = state.publish
        // A mentee's choice is shown in words; her own is the checkbox, explained.
        findViewById<TextView>(R.id.publish_explanation).setText(
            when {
                !state.mentee -> R.string.publish_explanation
                state.publish -> R.string.publish_mentee_yes
                else -> R.string.publish_mentee_no
            },
        )
        findViewById<TextView>(R.id.profile_message).showOrHide(state.message?.let { text(it) })
        state.fieldErrors.keys.firstOrNull()?.let { first ->
            val input = findViewById<EditText>(fields.getValue(first).first)
            input.requestFocus()
            input.announceForAccessibility(text(state.fieldErrors.getValue(first)))
        }
        findViewById<Button>(R.id.action_save_profile).isEnabled = state.accountId != null
    }

    companion object {
        /** A mentee's account id: a mentor editing her profile (none: the user's own). */
        const val EXTRA_ACCOUNT_ID = "ke.fundi.app.profile.ACCOUNT_ID"
        /** The mentee's name, for the title. */
        const val EXTRA_NAME = "ke.fundi.app.profile.NAME"
    }
}
