// What every screen shares: the app's language applied in the app (on every API level, through
// createConfigurationContext, whatever the phone's language), work on the worker thread with
// any Throwable turned into a message, and small view helpers.
package ke.fundi.app

import android.app.Activity
import android.content.Context
import android.content.Intent
import android.content.res.Configuration
import android.os.LocaleList
import android.view.LayoutInflater
import android.view.View
import android.view.ViewGroup
import android.widget.BaseAdapter
import android.widget.ListAdapter
import android.widget.ListView
import android.widget.TextView
import android.widget.Toast
import java.util.Locale
import ke.fundi.app.logic.AppLanguage
import ke.fundi.app.logic.StringKey
import ke.fundi.app.logic.UiText

/** [base] speaking the language chosen in the app (the phone's own when none was chosen). */
fun localized(base: Context): Context {
    val tag = base.getSharedPreferences(FundiApp.PREFS, Context.MODE_PRIVATE).getString(FundiApp.PREF_LANGUAGE, null)
        ?: return base
    val locale = Locale.forLanguageTag(AppLanguage.of(tag).tag)
    Locale.setDefault(locale)
    val config = Configuration(base.resources.configuration)
    config.setLocales(LocaleList(locale))
    return base.createConfigurationContext(config)
}

abstract class FundiActivity : Activity() {

    protected val app: FundiApp get() = application as FundiApp

    override fun attachBaseContext(newBase: Context) {
        super.attachBaseContext(localized(newBase))
    }

    /**
     * Run [work] on the worker thread and [done] on the main thread, unless the screen is gone.
     * A Throwable from [work] shows "something went wrong" instead of ending the app.
     */
    protected fun <T> work(work: () -> T, done: (T) -> Unit) {
        app.guarded(
            work = work,
            stillWanted = { !isDestroyed },
            failed = { Toast.makeText(this, text(UiText(StringKey.ERROR_INTERNAL)), Toast.LENGTH_LONG).show() },
            done = done,
        )
    }

    /** Apply a new language: remember it and recreate this screen in it. */
    protected fun switchLanguage(language: AppLanguage) {
        if (app.languageChosen() && app.appLanguage() == language) return
        app.setAppLanguage(language)
        recreate()
    }

    /** The "up" arrow of a screen that shows it: back to the screen below. */
    override fun onNavigateUp(): Boolean {
        finish()
        return true
    }

    /** Show a screen of one list (`activity_list`) titled [title], with the "up" arrow. */
    protected fun showList(title: Int, adapter: ListAdapter): ListView {
        setContentView(R.layout.activity_list)
        setTitle(title)
        actionBar?.setDisplayHomeAsUpEnabled(true)
        val list = findViewById<ListView>(R.id.list)
        list.adapter = adapter
        list.emptyView = findViewById(R.id.list_empty)
        return list
    }

    /** Open [target] on top of this screen. */
    protected fun open(target: Class<out Activity>, configure: Intent.() -> Unit = {}) {
        startActivity(Intent(this, target).apply(configure))
    }

    /** Leave every screen and start again at the launcher, which routes by role. */
    protected fun restartAtLauncher() {
        startActivity(Intent(this, LauncherActivity::class.java).addFlags(Intent.FLAG_ACTIVITY_NEW_TASK or Intent.FLAG_ACTIVITY_CLEAR_TASK))
        finish()
    }
}

/** Show [value] in this view, or hide it when null. */
fun TextView.showOrHide(value: CharSequence?) {
    text = value ?: ""
    visibility = if (value == null) View.GONE else View.VISIBLE
}

/**
 * A list of rows of one layout, each view reused and bound by [bind]. A row is tapped as a
 * whole only when [tappable]; otherwise its own buttons take the touches. Set [rows] and call
 * notifyDataSetChanged.
 */
class BoundRows<T>(
    private val inflater: LayoutInflater,
    private val layout: Int,
    private val tappable: Boolean = false,
    private val bind: (View, T) -> Unit,
) : BaseAdapter() {
    var rows: List<T> = emptyList()

    override fun getCount() = rows.size
    override fun getItem(position: Int): Any? = rows[position]
    override fun getItemId(position: Int) = position.toLong()
    override fun isEnabled(position: Int) = tappable

    override fun getView(position: Int, convertView: View?, parent: ViewGroup): View {
        val view = convertView ?: inflater.inflate(layout, parent, false)
        bind(view, rows[position])
        return view
    }
}
