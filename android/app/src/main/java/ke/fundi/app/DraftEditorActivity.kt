// The draft editor: create a draft, change it, add its photos, send it for review, or delete
// it. Every field shows the core's complaint about it right underneath; every photo shows the
// core's coaching (blurry, too dark...) under its thumbnail.
package ke.fundi.app

import android.app.AlertDialog
import android.content.ActivityNotFoundException
import android.content.Intent
import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.net.Uri
import android.os.Bundle
import android.system.ErrnoException
import android.system.OsConstants
import android.view.View
import android.widget.ArrayAdapter
import android.widget.Button
import android.widget.EditText
import android.widget.ImageView
import android.widget.LinearLayout
import android.widget.Spinner
import android.widget.TextView
import android.widget.Toast
import ke.fundi.app.logic.DraftEditorPresenter
import ke.fundi.app.logic.DraftForm
import ke.fundi.app.logic.DraftPhotosPresenter
import ke.fundi.app.logic.EditorState
import ke.fundi.app.logic.PhotoTile
import ke.fundi.app.logic.PhotosState
import ke.fundi.app.logic.categoryKey
import ke.fundi.app.logic.errorText
import java.io.File
import java.io.IOException
import uniffi.fundi.Category
import uniffi.fundi.DraftField
import uniffi.fundi.FundiException

class DraftEditorActivity : FundiActivity() {

    companion object {
        const val EXTRA_DRAFT_ID = "ke.fundi.app.DRAFT_ID"
        private const val STATE_DRAFT_ID = "draft_id"
        private const val STATE_CATEGORY = "category_position"
        private const val REQUEST_PHOTO = 1
    }

    private var draftId: String? = null
    private var busy = false
    private var categories = emptyList<Category>()
    /** The draft and editability the photo section was last loaded for (reload on change). */
    private var photosShownFor: Pair<String?, Boolean>? = null

    private lateinit var title: EditText
    private lateinit var description: EditText
    private lateinit var materials: EditText
    private lateinit var category: Spinner
    private lateinit var price: EditText
    private lateinit var capacity: EditText
    private lateinit var note: TextView
    private lateinit var message: TextView
    private lateinit var errorViews: Map<DraftField, TextView>
    private lateinit var buttons: List<Button>
    private lateinit var addPhoto: Button
    private lateinit var photosList: LinearLayout
    private lateinit var photosHint: TextView
    private lateinit var photosMessage: TextView

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
            DraftField.TITLE to findViewById(R.id.error_title),
            DraftField.DESCRIPTION to findViewById(R.id.error_description),
            DraftField.MATERIALS to findViewById(R.id.error_materials),
            DraftField.CATEGORY to findViewById(R.id.error_category),
            DraftField.PRICE to findViewById(R.id.error_price),
            DraftField.WEEKLY_CAPACITY to findViewById(R.id.error_weekly_capacity),
        )
        val save = findViewById<Button>(R.id.action_save)
        val submit = findViewById<Button>(R.id.action_submit)
        val delete = findViewById<Button>(R.id.action_delete)
        buttons = listOf(save, submit, delete)
        addPhoto = findViewById(R.id.action_add_photo)
        photosList = findViewById(R.id.photos_list)
        photosHint = findViewById(R.id.photos_hint)
        photosMessage = findViewById(R.id.photos_message)

        save.setOnClickListener { perform { p, form -> p.save(draftId, form) } }
        submit.setOnClickListener { perform { p, form -> p.submit(draftId, form) } }
        delete.setOnClickListener { confirmDelete() }
        addPhoto.setOnClickListener {
            // Photos belong to a saved draft: a new one is saved first, then the picker opens.
            if (busy) return@setOnClickListener
            if (draftId == null) perform { p, form -> p.saveForPhoto(form) } else pickPhoto()
        }

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
        setBusy(true)
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
                setBusy(false)
                if (p != null) done(p, state) else show(state, null, keepFields = true)
            },
        )
    }

    private fun setBusy(value: Boolean) {
        busy = value
        buttons.forEach { it.isEnabled = !value }
        addPhoto.isEnabled = !value
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
        if (state.finished) {
            finish()
            return
        }
        // A first save gives the draft an id; a refusal can show it is no longer editable.
        if (presenter != null && photosShownFor != (state.draftId to state.editable)) {
            photosShownFor = state.draftId to state.editable
            val id = state.draftId
            val editable = state.editable
            photoCall { p -> p.load(id, editable) }
        }
        if (state.pickPhoto) pickPhoto()
    }

    // ------------------------------------------------------------------------------ photos

    private fun pickPhoto() {
        val pick = Intent(Intent.ACTION_GET_CONTENT)
            .setType("image/*")
            .addCategory(Intent.CATEGORY_OPENABLE)
        try {
            startActivityForResult(Intent.createChooser(pick, getString(R.string.choose_photo)), REQUEST_PHOTO)
        } catch (e: ActivityNotFoundException) {
            Toast.makeText(this, R.string.no_photo_app, Toast.LENGTH_LONG).show()
        }
    }

    override fun onActivityResult(requestCode: Int, resultCode: Int, data: Intent?) {
        super.onActivityResult(requestCode, resultCode, data)
        if (requestCode != REQUEST_PHOTO || resultCode != RESULT_OK) return
        val uri = data?.data ?: return
        // draftId survives the system killing this screen while the picker was open.
        val id = draftId ?: return
        photoCall { p -> addPicked(p, id, uri) }
    }

    /**
     * Copy the picked photo into the cache (the core reads a file, and a content:// grant
     * does not outlive this screen), let the core prepare and add it, then drop the copy.
     * Runs on the worker thread.
     */
    private fun addPicked(p: DraftPhotosPresenter, id: String, uri: Uri): PhotosState {
        val copy = try {
            File.createTempFile("picked-", ".photo", cacheDir)
        } catch (e: IOException) {
            return p.copyFailed(id, outOfSpace = isOutOfSpace(e))
        }
        try {
            try {
                val input = contentResolver.openInputStream(uri) ?: return p.copyFailed(id, outOfSpace = false)
                input.use { from -> copy.outputStream().use { to -> from.copyTo(to) } }
            } catch (e: IOException) {
                return p.copyFailed(id, outOfSpace = isOutOfSpace(e))
            } catch (e: SecurityException) {
                // The picking app withdrew its permission.
                return p.copyFailed(id, outOfSpace = false)
            }
            return p.add(id, copy.path)
        } finally {
            copy.delete()
        }
    }

    private fun isOutOfSpace(e: Throwable): Boolean =
        generateSequence(e) { it.cause }.any { it is ErrnoException && it.errno == OsConstants.ENOSPC }

    /**
     * Run photo work on the database thread, decode the thumbnails there too, and show the
     * section unless the screen is gone.
     */
    private fun photoCall(work: (DraftPhotosPresenter) -> PhotosState) {
        setBusy(true)
        app.background(
            work = {
                val state = try {
                    work(DraftPhotosPresenter(app.drafts(), app.photos()))
                } catch (e: FundiException) {
                    // The database or the photo directory could not be opened at all.
                    PhotosState(canAdd = false, message = errorText(e))
                }
                state to state.tiles.map { BitmapFactory.decodeFile(it.thumbnailPath) }
            },
            stillWanted = { !isDestroyed },
            done = { (state, thumbnails) ->
                setBusy(false)
                showPhotos(state, thumbnails)
            },
        )
    }

    private fun showPhotos(state: PhotosState, thumbnails: List<Bitmap?>) {
        photosList.removeAllViews()
        state.tiles.forEachIndexed { index, tile ->
            photosList.addView(photoRow(tile, index, thumbnails.getOrNull(index)))
        }
        photosHint.show(state.hint?.let { text(it) })
        photosMessage.show(state.message?.let { text(it) })
        addPhoto.visibility = if (state.canAdd) View.VISIBLE else View.GONE

        if (state.coaching.isNotEmpty()) {
            AlertDialog.Builder(this)
                .setTitle(R.string.photo_tips_title)
                .setMessage(state.coaching.joinToString("\n") { text(it) })
                .setPositiveButton(R.string.ok, null)
                .show()
        } else {
            state.notice?.let { Toast.makeText(this, text(it), Toast.LENGTH_SHORT).show() }
        }
    }

    private fun photoRow(tile: PhotoTile, index: Int, thumbnail: Bitmap?): View {
        val row = layoutInflater.inflate(R.layout.item_photo, photosList, false)
        val image = row.findViewById<ImageView>(R.id.photo_thumbnail)
        if (thumbnail != null) image.setImageBitmap(thumbnail)
        image.contentDescription = getString(R.string.photo_description, index + 1)
        row.findViewById<View>(R.id.photo_main).visibility = if (tile.primary) View.VISIBLE else View.GONE
        row.findViewById<TextView>(R.id.photo_advice).show(
            if (tile.advice.isEmpty()) null else tile.advice.joinToString("\n") { text(it) },
        )
        val makeMain = row.findViewById<Button>(R.id.photo_make_main)
        makeMain.visibility = if (tile.canMakePrimary) View.VISIBLE else View.GONE
        makeMain.setOnClickListener {
            val id = draftId
            if (!busy && id != null) photoCall { p -> p.makePrimary(id, tile.hash) }
        }
        val remove = row.findViewById<Button>(R.id.photo_remove)
        remove.visibility = if (tile.canRemove) View.VISIBLE else View.GONE
        remove.setOnClickListener { confirmRemovePhoto(tile.hash) }
        return row
    }

    private fun confirmRemovePhoto(hash: String) {
        val id = draftId ?: return
        if (busy) return
        AlertDialog.Builder(this)
            .setTitle(R.string.remove_photo_confirm_title)
            .setIcon(R.drawable.ic_delete)
            .setPositiveButton(R.string.remove_photo) { _, _ -> photoCall { p -> p.remove(id, hash) } }
            .setNegativeButton(R.string.cancel, null)
            .show()
    }
}

private fun TextView.show(value: String?) {
    text = value ?: ""
    visibility = if (value == null) View.GONE else View.VISIBLE
}

private fun EditText.update(value: String) {
    if (text.toString() != value) setText(value)
}
