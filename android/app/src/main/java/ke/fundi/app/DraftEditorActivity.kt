// The draft editor: create a draft, change it, send it for review, or delete it. Every field
// shows the core's complaint about it right underneath.
package ke.fundi.app

import android.app.Activity
import android.app.AlertDialog
import android.os.Bundle
import android.view.View
import android.widget.ArrayAdapter
import android.widget.Button
import android.widget.EditText
import android.widget.Spinner
import android.widget.TextView
import android.widget.Toast
import ke.fundi.app.logic.DraftEditorPresenter
import ke.fundi.app.logic.DraftForm
import ke.fundi.app.logic.EditorState
import ke.fundi.app.logic.categoryKey
import ke.fundi.app.logic.errorText
import uniffi.fundi.DraftFieldName
import uniffi.fundi.FundiException
import uniffi.fundi.ProductCategory

class DraftEditorActivity : Activity() {

    companion object {
        const val EXTRA_DRAFT_ID = "ke.fundi.app.DRAFT_ID"
        private const val STATE_DRAFT_ID = "draft_id"
        private const val STATE_CATEGORY = "category_position"
    }

    private val app get() = application as FundiApp
    private var draftId: String? = null
    private var busy = false
    private var categories = emptyList<ProductCategory>()

    private lateinit var title: EditText
    private lateinit var description: EditText
    private lateinit var materials: EditText
    private lateinit var category: Spinner
    private lateinit var price: EditText
    private lateinit var capacity: EditText
    private lateinit var note: TextView
    private lateinit var message: TextView
    private lateinit var errorViews: Map<DraftFieldName, TextView>
    private lateinit var buttons: List<Button>

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_draft_editor)
        actionBar?.setDisplayHomeAsUpEnabled(true)
        title = findViewById(R.id.field_title)
        description = findViewById(R.id.field_description)
        materials = findViewById(R.id.field_materials)
        category = findViewById(R.id.field_category)
        price = findViewById(R.id.field_price)
        capacity = findViewById(R.id.field_weekly_capacity)
        note = findViewById(R.id.editor_note)
        message = findViewById(R.id.editor_message)
        errorViews = mapOf(
            DraftFieldName.TITLE to findViewById(R.id.error_title),
            DraftFieldName.DESCRIPTION to findViewById(R.id.error_description),
            DraftFieldName.MATERIALS to findViewById(R.id.error_materials),
            DraftFieldName.CATEGORY to findViewById(R.id.error_category),
            DraftFieldName.PRICE to findViewById(R.id.error_price),
            DraftFieldName.WEEKLY_CAPACITY to findViewById(R.id.error_weekly_capacity),
        )
        val save = findViewById<Button>(R.id.action_save)
        val submit = findViewById<Button>(R.id.action_submit)
        val delete = findViewById<Button>(R.id.action_delete)
        buttons = listOf(save, submit, delete)

        save.setOnClickListener { perform { p, form -> p.save(draftId, form) } }
        submit.setOnClickListener { perform { p, form -> p.submit(draftId, form) } }
        delete.setOnClickListener { confirmDelete() }

        // Restored after the system killed the activity: the fields keep their own text.
        draftId = savedInstanceState?.getString(STATE_DRAFT_ID) ?: intent.getStringExtra(EXTRA_DRAFT_ID)
        setTitle(if (draftId == null) R.string.editor_title_new else R.string.editor_title_edit)
        delete.visibility = if (draftId == null) View.GONE else View.VISIBLE

        val id = draftId
        // After a restart by the system the text fields already hold what was typed; the
        // spinner gets its adapter only now, so its choice is put back by hand.
        val restoredCategory = savedInstanceState?.getInt(STATE_CATEGORY, -1) ?: -1
        call(
            work = { p -> if (id == null) p.blank() else p.load(id) },
            done = { p, state ->
                category.adapter = ArrayAdapter(
                    this, android.R.layout.simple_spinner_dropdown_item,
                    p.categories.map { text(categoryKey(it)) },
                )
                show(state, p, keepFields = savedInstanceState != null)
                if (restoredCategory in p.categories.indices) category.setSelection(restoredCategory)
            },
        )
    }

    override fun onSaveInstanceState(outState: Bundle) {
        super.onSaveInstanceState(outState)
        outState.putString(STATE_DRAFT_ID, draftId)
        outState.putInt(STATE_CATEGORY, category.selectedItemPosition)
    }

    private fun form() = DraftForm(
        title = title.text.toString(),
        description = description.text.toString(),
        materials = materials.text.toString(),
        category = categories[category.selectedItemPosition.coerceIn(0, categories.size - 1)],
        price = price.text.toString(),
        weeklyCapacity = capacity.text.toString(),
    )

    private fun perform(action: (DraftEditorPresenter, DraftForm) -> EditorState) {
        if (busy || categories.isEmpty()) return
        val form = form()
        call(work = { p -> action(p, form) }, done = { p, state -> show(state, p, keepFields = false) })
    }

    private fun confirmDelete() {
        val id = draftId ?: return
        AlertDialog.Builder(this)
            .setTitle(R.string.delete_confirm_title)
            .setMessage(R.string.delete_confirm_message)
            .setIcon(R.drawable.ic_delete)
            .setPositiveButton(R.string.delete) { _, _ -> perform { p, form -> p.delete(id, form) } }
            .setNegativeButton(R.string.cancel, null)
            .show()
    }

    /** Run presenter work on the database thread; show the result unless the screen is gone. */
    private fun call(work: (DraftEditorPresenter) -> EditorState, done: (DraftEditorPresenter, EditorState) -> Unit) {
        busy = true
        buttons.forEach { it.isEnabled = false }
        val language = app.language()
        app.background(
            work = {
                try {
                    val p = DraftEditorPresenter(app.drafts(), language)
                    p to work(p)
                } catch (e: FundiException) {
                    // The database could not be opened at all.
                    null to EditorState(draftId = draftId, form = form(), editable = false, message = errorText(e))
                }
            },
            stillWanted = { !isDestroyed },
            done = { (p, state) ->
                busy = false
                buttons.forEach { it.isEnabled = true }
                if (p != null) done(p, state) else show(state, null, keepFields = true)
            },
        )
    }

    private fun show(state: EditorState, presenter: DraftEditorPresenter?, keepFields: Boolean) {
        if (presenter != null) categories = presenter.categories
        draftId = state.draftId
        if (!keepFields) {
            // Only touch fields whose text changed (the core normalises, e.g. the price), so
            // the cursor stays where it was in the others.
            title.update(state.form.title)
            description.update(state.form.description)
            materials.update(state.form.materials)
            price.update(state.form.price)
            capacity.update(state.form.weeklyCapacity)
            val index = categories.indexOf(state.form.category)
            if (index >= 0) category.setSelection(index)
        }
        for ((field, view) in errorViews) {
            val error = state.fieldErrors[field]
            view.text = if (error == null) "" else text(error)
            view.visibility = if (error == null) View.GONE else View.VISIBLE
        }
        val msg = state.message
        message.text = if (msg == null) "" else text(msg)
        message.visibility = if (msg == null) View.GONE else View.VISIBLE
        note.text = if (state.state == null) "" else text(state.state)
        note.visibility = if (state.state == null) View.GONE else View.VISIBLE

        listOf(title, description, materials, price, capacity).forEach { it.isEnabled = state.editable }
        category.isEnabled = state.editable
        buttons[0].visibility = if (state.editable) View.VISIBLE else View.GONE
        buttons[1].visibility = if (state.editable) View.VISIBLE else View.GONE
        buttons[2].visibility = if (state.draftId == null) View.GONE else View.VISIBLE
        setTitle(if (state.draftId == null) R.string.editor_title_new else R.string.editor_title_edit)

        state.notice?.let { Toast.makeText(this, text(it), Toast.LENGTH_SHORT).show() }
        if (state.finished) finish()
    }
}

private fun EditText.update(value: String) {
    if (text.toString() != value) setText(value)
}
