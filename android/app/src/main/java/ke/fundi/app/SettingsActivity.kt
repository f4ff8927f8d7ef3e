// Settings: her own profile (ProfileActivity), the language (applied at once, in the app), the data saver (kept by the core: full
// photos wait for Wi-Fi while it is on), the storage the app uses (a reviewer can clear her
// mentees' photos), the depot address used to enroll,
// this phone's account and device id (what a mentor revokes if the phone is lost), and
// signing out, which first lists what has not reached the depot.
package ke.fundi.app

import android.app.AlertDialog
import android.os.Bundle
import android.view.View
import android.widget.Button
import android.widget.EditText
import android.widget.TextView
import android.widget.Toast
import java.io.File
import ke.fundi.app.logic.AppLanguage
import ke.fundi.app.logic.DataSaverState
import ke.fundi.app.logic.SettingsPresenter
import ke.fundi.app.logic.SignOutSummary
import ke.fundi.app.logic.StorageState

class SettingsActivity : FundiActivity() {

    private lateinit var depot: EditText

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_settings)
        setTitle(R.string.settings_title)
        actionBar?.setDisplayHomeAsUpEnabled(true)
        depot = findViewById(R.id.field_depot)
        if (savedInstanceState == null) depot.setText(app.depotUrl())
        val current = app.appLanguage()
        for ((id, language) in listOf(R.id.language_swahili to AppLanguage.SWAHILI, R.id.language_english to AppLanguage.ENGLISH)) {
            val button = findViewById<Button>(id)
            button.markChosen(language == current)
            button.setOnClickListener { switchLanguage(language) }
        }
        findViewById<Button>(R.id.data_saver_on).setOnClickListener { setDataSaver(true) }
        findViewById<Button>(R.id.data_saver_off).setOnClickListener { setDataSaver(false) }
        work(work = { SettingsPresenter(app.sync()).dataSaver() }, done = ::showDataSaver)
        findViewById<Button>(R.id.action_save_depot).setOnClickListener {
            app.setDepotUrl(depot.text.toString())
            Toast.makeText(this, R.string.saved, Toast.LENGTH_SHORT).show()
        }
        findViewById<Button>(R.id.action_sign_out).setOnClickListener { confirmSignOut() }
        findViewById<Button>(R.id.action_my_profile).setOnClickListener { open(ProfileActivity::class.java) }
        findViewById<Button>(R.id.action_clear_review_photos).setOnClickListener {
            work(work = { presenter().clearReviewPhotos(databaseBytes(), photoBytes()) }, done = ::showStorage)
        }
        work(work = { presenter().storage(databaseBytes(), photoBytes()) }, done = ::showStorage)
        work(
            work = {
                val sync = app.sync()
                sync.syncStatus().accountId to sync.deviceId()
            },
            done = { (account, device) ->
                findViewById<TextView>(R.id.settings_account).text = getString(R.string.settings_account, account ?: "—", device)
            },
        )
    }

    /** The storage figures: a phone that reviews drafts also keeps her mentees' photos. */
    private fun presenter() = SettingsPresenter(app.sync(), app.reviewPhotos())

    private fun databaseBytes(): Long = sizeOf(noBackupFilesDir) { it.name.startsWith("fundi.db") }

    private fun photoBytes(): Long = sizeOf(File(filesDir, "photos")) { true }

    private fun showStorage(state: StorageState) {
        findViewById<TextView>(R.id.storage_used).text = text(state.used)
        findViewById<TextView>(R.id.storage_review_photos).showOrHide(state.reviewPhotos?.let { text(it) })
        findViewById<Button>(R.id.action_clear_review_photos).visibility = if (state.canClearReviewPhotos) View.VISIBLE else View.GONE
    }

    private fun setDataSaver(on: Boolean) {
        work(work = { SettingsPresenter(app.sync()).setDataSaver(on) }, done = ::showDataSaver)
    }

    private fun showDataSaver(state: DataSaverState) {
        for ((id, on) in listOf(R.id.data_saver_on to true, R.id.data_saver_off to false)) {
            findViewById<Button>(id).markChosen(on == state.on)
        }
        findViewById<TextView>(R.id.data_saver_note).text = text(state.message ?: state.note)
    }

    /** One of a choice's buttons: selected and checked, or neither. */
    private fun Button.markChosen(chosen: Boolean) {
        isSelected = chosen
        setCompoundDrawablesRelativeWithIntrinsicBounds(if (chosen) R.drawable.ic_check else 0, 0, 0, 0)
    }

    private fun confirmSignOut() {
        work(work = { SettingsPresenter(app.sync()).signOutSummary() }, done = { summary: SignOutSummary ->
            val lines = (summary.message?.let { listOf(it) } ?: summary.lines).map { text(it) }
            val body = if (summary.safe) getString(R.string.sign_out_safe) else getString(R.string.sign_out_loses, lines.joinToString("\n"))
            AlertDialog.Builder(this)
                .setTitle(R.string.sign_out_confirm_title)
                .setIcon(R.drawable.ic_delete)
                .setMessage(body)
                .setPositiveButton(R.string.sign_out) { _, _ -> work(work = { app.signOut() }, done = { restartAtLauncher() }) }
                .setNegativeButton(R.string.cancel, null)
                .show()
        })
    }
}

/** Bytes of the files under `dir` that `take` accepts (0 for a directory not made yet). */
private fun sizeOf(dir: File, take: (File) -> Boolean): Long = dir.walkTopDown().filter { it.isFile && take(it) }.sumOf { it.length() }
