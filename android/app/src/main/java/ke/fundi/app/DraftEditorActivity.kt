// The draft editor: create a draft, change it, add its photos (camera or gallery), order them,
// send it for review, make a new version of an approved one, or delete it. Every field shows
// the core's complaint about it right underneath, and a refused save scrolls to the first one,
// focuses it and announces it; every photo shows the core's coaching (blurry, too dark...)
// under its thumbnail. Leaving never loses edits silently: back and up save (or ask), going to
// the background saves quietly. A new draft's id is chosen before its first save and kept in
// the saved state, so a rotation or a kill during that save never makes a second draft.
package ke.fundi.app

import android.app.AlertDialog
import android.content.ActivityNotFoundException
import android.content.ClipData
import android.content.Intent
import android.net.Uri
import android.os.Bundle
import android.provider.MediaStore
import android.system.ErrnoException
import android.system.OsConstants
import android.view.View
import android.view.ViewGroup
import android.view.accessibility.AccessibilityNodeInfo
import android.widget.ArrayAdapter
import android.widget.Button
import android.widget.EditText
import android.widget.ImageView
import android.widget.LinearLayout
import android.widget.ProgressBar
import android.widget.ScrollView
import android.widget.Spinner
import android.widget.TextView
import android.widget.Toast
import ke.fundi.app.logic.DraftEditorPresenter
import ke.fundi.app.logic.DraftForm
import ke.fundi.app.logic.DraftPhotosPresenter
import ke.fundi.app.logic.EditorState
import ke.fundi.app.logic.PhotoSource
import ke.fundi.app.logic.PhotoTile
import ke.fundi.app.logic.PhotosState
import ke.fundi.app.logic.StringKey
import ke.fundi.app.logic.UiText
import ke.fundi.app.logic.categoryKey
import ke.fundi.app.logic.errorText
import ke.fundi.app.logic.preparing
import java.io.File
import java.io.IOException
import uniffi.fundi.Category
import uniffi.fundi.DraftField
import uniffi.fundi.FundiException

class DraftEditorActivity : FundiActivity() {

    companion object {
        const val EXTRA_DRAFT_ID = "ke.fundi.app.DRAFT_ID"
        private const val STATE_DRAFT_ID = "draft_id"
        private const val STATE_SAVED = "draft_saved"
        private const val STATE_CATEGORY = "category_position"
        private const val STATE_CAPTURE = "capture_name"
        private const val STATE_PREPARING = "photo_preparing"
        private const val REQUEST_PHOTO = 1
        private const val REQUEST_CAPTURE = 2
    }

    /** The state last shown (its one-shot parts cleared); null until the first load returns. */
    private var current: EditorState? = null
    /** The draft's id, known before [current] when restored (a camera result may come first). */
    private var draftId: String? = null
    private var busy = false
    private var categories = emptyList<Category>()
    /** The draft, saved flag and editability the photo section was last loaded for. */
    private var photosShownFor: Triple<String?, Boolean, Boolean>? = null
    private var photos = PhotosState()
    /** The capture file the camera app is writing (kept across the system killing this screen). */
    private var captureName: String? = null

    private lateinit var scroll: ScrollView
    private lateinit var title: EditText
    private lateinit var description: EditText
    private lateinit var materials: EditText
    private lateinit var category: Spinner
    private lateinit var price: EditText
    private lateinit var capacity: EditText
    private lateinit var note: TextView
    private lateinit var reviewBox: View
    private lateinit var reviewNote: TextView
    private lateinit var message: TextView
    private lateinit var inputs: Map<DraftField, View>
    private lateinit var errorViews: Map<DraftField, TextView>
    private lateinit var save: Button
    private lateinit var submit: Button
    private lateinit var delete: Button
    private lateinit var revise: Button
    private lateinit var reviseNote: TextView
    private lateinit var takePhoto: Button
    private lateinit var choosePhoto: Button
    private lateinit var photosList: LinearLayout
    private lateinit var photoProgress: ProgressBar
    private lateinit var photosHint: TextView
    private lateinit var photosMessage: TextView

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_draft_editor)
        actionBar?.setDisplayHomeAsUpEnabled(true)
        scroll = findViewById(R.id.editor_scroll)
        title = findViewById(R.id.field_title)
        description = findViewById(R.id.field_description)
        materials = findViewById(R.id.field_materials)
        category = findViewById(R.id.field_category)
        price = findViewById(R.id.field_price)
        capacity = findViewById(R.id.field_weekly_capacity)
        note = findViewById(R.id.editor_note)
        reviewBox = findViewById(R.id.review_note_box)
        reviewNote = findViewById(R.id.review_note)
        message = findViewById(R.id.editor_message)
        inputs = mapOf(
            DraftField.TITLE to title,
            DraftField.DESCRIPTION to description,
            DraftField.MATERIALS to materials,
            DraftField.CATEGORY to category,
            DraftField.PRICE to price,
            DraftField.WEEKLY_CAPACITY to capacity,
        )
        errorViews = mapOf(
            DraftField.TITLE to findViewById(R.id.error_title),
            DraftField.DESCRIPTION to findViewById(R.id.error_description),
            DraftField.MATERIALS to findViewById(R.id.error_materials),
            DraftField.CATEGORY to findViewById(R.id.error_category),
            DraftField.PRICE to findViewById(R.id.error_price),
            DraftField.WEEKLY_CAPACITY to findViewById(R.id.error_weekly_capacity),
        )
        save = findViewById(R.id.action_save)
        submit = findViewById(R.id.action_submit)
        delete = findViewById(R.id.action_delete)
        revise = findViewById(R.id.action_revise)
        reviseNote = findViewById(R.id.revise_explanation)
        takePhoto = findViewById(R.id.action_take_photo)
        choosePhoto = findViewById(R.id.action_choose_photo)
        photosList = findViewById(R.id.photos_list)
        photoProgress = findViewById(R.id.photo_progress)
        photosHint = findViewById(R.id.photos_hint)
        photosMessage = findViewById(R.id.photos_message)

        save.setOnClickListener { perform { p, state, form -> p.save(state, form) } }
        submit.setOnClickListener { perform { p, state, form -> p.submit(state, form) } }
        delete.setOnClickListener { confirmDelete() }
        revise.setOnClickListener { perform { p, state, _ -> p.revise(state) } }
        // Photos belong to a saved draft: what is on screen is saved first, then the camera or
        // the picker opens (EditorState.pickPhoto).
        takePhoto.setOnClickListener { perform { p, state, form -> p.saveForPhoto(state, form, PhotoSource.CAMERA) } }
        choosePhoto.setOnClickListener { perform { p, state, form -> p.saveForPhoto(state, form, PhotoSource.GALLERY) } }

        // Restored after a rotation or after the system killed the screen: the id chosen before
        // the first save comes back with it, and whether a save of it ever returned.
        val restoredId = savedInstanceState?.getString(STATE_DRAFT_ID)
        val id = restoredId ?: intent.getStringExtra(EXTRA_DRAFT_ID)
        val neverSaved = restoredId != null && !savedInstanceState.getBoolean(STATE_SAVED)
        draftId = id
        captureName = savedInstanceState?.getString(STATE_CAPTURE)
        setTitle(if (id == null || neverSaved) R.string.editor_title_new else R.string.editor_title_edit)
        delete.visibility = View.GONE
        // A photo was being prepared when the screen went: the worker runs one job at a time, so
        // the section's first load (queued after that add) ends the progress line.
        if (savedInstanceState?.getBoolean(STATE_PREPARING) == true) showPhotos(photos.preparing())

        // After a restart by the system the text fields already hold what was typed; the
        // spinner gets its adapter only now, so its choice is put back by hand.
        val restoredCategory = savedInstanceState?.getInt(STATE_CATEGORY, -1) ?: -1
        val fresh = savedInstanceState == null
        call(
            work = { p ->
                // Captures left by a camera that never came back (the app was killed meanwhile).
                if (fresh) CaptureProvider.clear(this)
                if (id == null) p.blank() else p.load(id, neverSaved)
            },
            done = { p, state ->
                category.adapter = CategoryAdapter(p.categories)
                show(state, p, keepFields = !fresh)
                if (restoredCategory in 0..p.categories.size) category.setSelection(restoredCategory)
            },
        )
    }

    override fun onSaveInstanceState(outState: Bundle) {
        super.onSaveInstanceState(outState)
        current?.let {
            outState.putString(STATE_DRAFT_ID, it.draftId)
            outState.putBoolean(STATE_SAVED, it.saved)
        }
        if (categories.isNotEmpty()) outState.putInt(STATE_CATEGORY, category.selectedItemPosition)
        outState.putString(STATE_CAPTURE, captureName)
        outState.putBoolean(STATE_PREPARING, photos.processing)
    }

    /** Back: save what changed and close, or ask when the core refuses it. */
    @Deprecated("The framework's back callback on API 29-32; still called on 33+ without opting in")
    override fun onBackPressed() = leave()

    override fun onNavigateUp(): Boolean {
        leave()
        return true
    }

    /**
     * Going to the background (home, another app, the camera app): save what changed, quietly,
     * so edits outlive an app swiped away. Not on a rotation (the saved state carries the
     * fields) nor when closing (back and up have saved or asked).
     */
    override fun onStop() {
        super.onStop()
        val state = current ?: return
        if (isChangingConfigurations || isFinishing || categories.isEmpty()) return
        val form = form()
        if (!state.changed(form)) return
        // Shown only when it saved: a refusal stays as it is on screen, unannounced.
        call(work = { p -> p.autosave(state, form) }, done = { p, saved -> if (saved != state) show(saved, p, keepFields = true) })
    }

    private fun leave() {
        val state = current
        if (state == null || categories.isEmpty()) {
            finish()
            return
        }
        val form = form()
        if (!state.changed(form)) {
            finish()
            return
        }
        // Not blocked by `busy`: the worker runs it after whatever is in flight.
        call(work = { p -> p.leave(state, form) }, done = { p, left -> show(left, p, keepFields = false) })
    }

    private fun form() = DraftForm(
        title = title.text.toString(),
        description = description.text.toString(),
        materials = materials.text.toString(),
        // Position 0 is the blank "choose a category" entry: no category, which the core refuses.
        category = categories.getOrNull(category.selectedItemPosition - 1),
        price = price.text.toString(),
        weeklyCapacity = capacity.text.toString(),
    )

    private fun perform(action: (DraftEditorPresenter, EditorState, DraftForm) -> EditorState) {
        val state = current
        if (busy || state == null || categories.isEmpty()) return
        val form = form()
        call(work = { p -> action(p, state, form) }, done = { p, next -> show(next, p, keepFields = false) })
    }

    private fun confirmDelete() {
        if (current?.saved != true) return
        AlertDialog.Builder(this)
            .setTitle(R.string.delete_confirm_title)
            .setMessage(R.string.delete_confirm_message)
            .setIcon(R.drawable.ic_delete)
            .setPositiveButton(R.string.delete) { _, _ -> perform { p, state, form -> p.delete(state, form) } }
            .setNegativeButton(R.string.cancel, null)
            .show()
    }

    private fun confirmDiscard() {
        AlertDialog.Builder(this)
            .setTitle(R.string.unsaved_title)
            .setMessage(R.string.unsaved_message)
            .setPositiveButton(R.string.keep_editing, null)
            .setNegativeButton(R.string.discard_changes) { _, _ -> finish() }
            .show()
    }

    /**
     * Run presenter work on the database thread; show the result unless the screen is gone. Any
     * Throwable (a panic across the FFI, a library that did not load) becomes a message, and the
     * screen's buttons come back.
     */
    private fun call(work: (DraftEditorPresenter) -> EditorState, done: (DraftEditorPresenter, EditorState) -> Unit) {
        setBusy(true)
        val language = app.language()
        val fallbackId = draftId ?: ""
        app.guarded(
            work = {
                try {
                    val p = DraftEditorPresenter(app.drafts(), language)
                    p to work(p)
                } catch (e: FundiException) {
                    // The database could not be opened at all.
                    null to EditorState(draftId = fallbackId, saved = false, form = DraftForm(), editable = false, message = errorText(e))
                }
            },
            stillWanted = { !isDestroyed },
            failed = { failed() },
            done = { (p, state) ->
                setBusy(false)
                if (p != null) done(p, state) else show(state, null, keepFields = true)
            },
        )
    }

    private fun failed() {
        setBusy(false)
        if (photos.processing) showPhotos(photos.copy(processing = false, canAdd = true, hint = null))
        Toast.makeText(this, text(UiText(StringKey.ERROR_INTERNAL)), Toast.LENGTH_LONG).show()
    }

    private fun setBusy(value: Boolean) {
        busy = value
        listOf(save, submit, delete, revise).forEach { it.isEnabled = !value }
        updatePhotoButtons()
    }

    /** Take / choose a photo: shown while the section allows adding (or prepares one), usable when idle. */
    private fun updatePhotoButtons() {
        val visibility = if (photos.canAdd || photos.processing) View.VISIBLE else View.GONE
        val enabled = photos.canAdd && !busy
        for (button in listOf(takePhoto, choosePhoto)) {
            button.visibility = visibility
            button.isEnabled = enabled
        }
    }

    private fun show(state: EditorState, presenter: DraftEditorPresenter?, keepFields: Boolean) {
        if (presenter != null) categories = presenter.categories
        // One-shot parts (a toast, closing, opening the camera, the question) are acted on now.
        current = state.copy(notice = null, finished = false, pickPhoto = null, askDiscard = false)
        draftId = state.draftId
        if (!keepFields) {
            // Only touch fields whose text changed (the core normalises, e.g. the price), so
            // the cursor stays where it was in the others.
            title.update(state.form.title)
            description.update(state.form.description)
            materials.update(state.form.materials)
            price.update(state.form.price)
            capacity.update(state.form.weeklyCapacity)
            val index = state.form.category?.let { categories.indexOf(it) } ?: -1
            if (categories.isNotEmpty()) category.setSelection(index + 1)
        }
        for ((field, view) in errorViews) {
            view.showOrHide(state.fieldErrors[field]?.let { text(it) })
        }
        message.showOrHide(state.message?.let { text(it) })
        note.showOrHide(state.state?.let { text(it) })
        reviewNote.text = state.reviewNote ?: ""
        reviewBox.visibility = if (state.reviewNote == null) View.GONE else View.VISIBLE

        listOf(title, description, materials, price, capacity).forEach { it.isEnabled = state.editable }
        category.isEnabled = state.editable
        save.visibility = if (state.editable) View.VISIBLE else View.GONE
        submit.visibility = if (state.editable) View.VISIBLE else View.GONE
        delete.visibility = if (state.saved) View.VISIBLE else View.GONE
        revise.visibility = if (state.canRevise) View.VISIBLE else View.GONE
        reviseNote.visibility = revise.visibility
        setTitle(if (state.saved) R.string.editor_title_edit else R.string.editor_title_new)

        state.notice?.let { Toast.makeText(this, text(it), Toast.LENGTH_SHORT).show() }
        if (state.finished) {
            finish()
            return
        }
        if (state.fieldErrors.isNotEmpty()) revealFirstError(state) else state.message?.let { revealMessage(text(it)) }
        if (state.askDiscard) confirmDiscard()
        // A first save makes the draft one that holds photos; a refusal can show it is no
        // longer editable.
        val shownFor = Triple(state.draftId, state.saved, state.editable)
        if (presenter != null && photosShownFor != shownFor) {
            photosShownFor = shownFor
            val id = if (state.saved) state.draftId else null
            val editable = state.editable
            photoCall { p -> p.load(id, editable) }
        }
        when (state.pickPhoto) {
            PhotoSource.CAMERA -> openCamera()
            PhotoSource.GALLERY -> openPicker()
            null -> {}
        }
    }

    /**
     * After a refused save: scroll to the first field in error (the core says which), with its
     * label in view, focus it, and have TalkBack read its message.
     */
    private fun revealFirstError(state: EditorState) {
        val field = state.firstError ?: return
        val input = inputs[field] ?: return
        val said = listOfNotNull(state.fieldErrors[field], state.message).joinToString(" ") { text(it) }
        scroll.post {
            val parent = input.parent as? ViewGroup
            val label = parent?.getChildAt(parent.indexOfChild(input) - 1)
            scroll.smoothScrollTo(0, ((label ?: input).top - resources.getDimensionPixelSize(R.dimen.gap_small)).coerceAtLeast(0))
            input.requestFocus()
            // A spinner takes no focus in touch mode; TalkBack's focus goes there all the same.
            input.performAccessibilityAction(AccessibilityNodeInfo.ACTION_ACCESSIBILITY_FOCUS, null)
            input.announceForAccessibility(said)
        }
    }

    /** A refusal about no field (storage full, not allowed now): show its line and say it. */
    private fun revealMessage(said: String) {
        scroll.post {
            scroll.smoothScrollTo(0, 0)
            message.announceForAccessibility(said)
        }
    }

    // ------------------------------------------------------------------------------ photos

    /** The phone's camera app writes the photo to a file of the app's cache, via CaptureProvider. */
    private fun openCamera() {
        val (file, uri) = try {
            CaptureProvider.newCapture(this)
        } catch (e: IOException) {
            showPhotos(photos.copy(message = UiText(if (isOutOfSpace(e)) StringKey.ERROR_STORAGE_FULL else StringKey.ERROR_STORAGE_FAILED)))
            return
        }
        val capture = Intent(MediaStore.ACTION_IMAGE_CAPTURE)
            .putExtra(MediaStore.EXTRA_OUTPUT, uri)
            .addFlags(Intent.FLAG_GRANT_WRITE_URI_PERMISSION or Intent.FLAG_GRANT_READ_URI_PERMISSION)
        // The grant reaches the camera app through the clip (what the framework itself does for
        // EXTRA_OUTPUT on API 21+; set here so it never depends on that).
        capture.clipData = ClipData.newRawUri("", uri)
        captureName = file.name
        try {
            startActivityForResult(capture, REQUEST_CAPTURE)
        } catch (e: ActivityNotFoundException) {
            file.delete()
            captureName = null
            Toast.makeText(this, R.string.no_camera_app, Toast.LENGTH_LONG).show()
        }
    }

    private fun openPicker() {
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
        // draftId survives the system killing this screen while the other app was open.
        val id = draftId
        when (requestCode) {
            REQUEST_CAPTURE -> {
                val name = captureName ?: return
                captureName = null
                val file = File(CaptureProvider.dir(this), name)
                if (resultCode != RESULT_OK || id == null) {
                    file.delete()
                    return
                }
                addPhoto { p ->
                    try {
                        p.add(id, file.path)
                    } finally {
                        file.delete()
                    }
                }
            }
            REQUEST_PHOTO -> {
                if (resultCode != RESULT_OK || id == null) return
                val uri = data?.data ?: return
                addPhoto { p -> addPicked(p, id, uri) }
            }
        }
    }

    /** Add a photo: a progress line while the core prepares it, then the section as it is. */
    private fun addPhoto(work: (DraftPhotosPresenter) -> PhotosState) {
        showPhotos(photos.preparing())
        photoCall(work)
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

    /** Run photo work on the database thread and show the section unless the screen is gone. */
    private fun photoCall(work: (DraftPhotosPresenter) -> PhotosState) {
        setBusy(true)
        app.guarded(
            work = {
                try {
                    work(DraftPhotosPresenter(app.drafts(), app.photos()))
                } catch (e: FundiException) {
                    // The database or the photo directory could not be opened at all.
                    PhotosState(canAdd = false, message = errorText(e))
                }
            },
            stillWanted = { !isDestroyed },
            failed = { failed() },
            done = { state ->
                showPhotos(state)
                setBusy(false)
            },
        )
    }

    private fun showPhotos(state: PhotosState) {
        photos = state.copy(coaching = emptyList(), notice = null)
        photosList.removeAllViews()
        state.tiles.forEach { tile -> photosList.addView(photoRow(tile)) }
        photosHint.showOrHide(state.hint?.let { text(it) })
        photosMessage.showOrHide(state.message?.let { text(it) })
        photoProgress.visibility = if (state.processing) View.VISIBLE else View.GONE
        updatePhotoButtons()

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

    private val thumbnailPx: Int by lazy { resources.getDimensionPixelSize(R.dimen.thumbnail) }

    private fun photoRow(tile: PhotoTile): View {
        val row = layoutInflater.inflate(R.layout.item_photo, photosList, false)
        val image = row.findViewById<ImageView>(R.id.photo_thumbnail)
        ThumbnailLoader.show(image, tile.thumbnailPath, thumbnailPx, 0)
        image.contentDescription = getString(R.string.photo_description, tile.position + 1)
        row.findViewById<View>(R.id.photo_main).visibility = if (tile.primary) View.VISIBLE else View.GONE
        row.findViewById<TextView>(R.id.photo_advice).showOrHide(
            if (tile.advice.isEmpty()) null else tile.advice.joinToString("\n") { text(it) },
        )
        row.findViewById<Button>(R.id.photo_make_main).action(tile.canMakePrimary) { p, id -> p.makePrimary(id, tile.hash) }
        row.findViewById<Button>(R.id.photo_move_up).action(tile.canMoveEarlier) { p, id -> p.moveEarlier(id, tile) }
        row.findViewById<Button>(R.id.photo_move_down).action(tile.canMoveLater) { p, id -> p.moveLater(id, tile) }
        val remove = row.findViewById<Button>(R.id.photo_remove)
        remove.visibility = if (tile.canRemove) View.VISIBLE else View.GONE
        remove.setOnClickListener { confirmRemovePhoto(tile.hash) }
        return row
    }

    /** A photo button shown when `allowed`, running `change` on the draft's photos. */
    private fun Button.action(allowed: Boolean, change: (DraftPhotosPresenter, String) -> PhotosState) {
        visibility = if (allowed) View.VISIBLE else View.GONE
        setOnClickListener {
            val id = draftId
            if (!busy && id != null && !photos.processing) photoCall { p -> change(p, id) }
        }
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

    /** The category choice: a blank "choose a category" entry first, then each with its icon. */
    private inner class CategoryAdapter(choices: List<Category>) : ArrayAdapter<String>(
        this, android.R.layout.simple_spinner_dropdown_item,
        listOf(getString(R.string.choose_category)) + choices.map { text(categoryKey(it)) },
    ) {
        private val icons = listOf(0) + choices.map { it.iconRes() }

        override fun getView(position: Int, convertView: View?, parent: ViewGroup): View =
            withIcon(super.getView(position, convertView, parent), position)

        override fun getDropDownView(position: Int, convertView: View?, parent: ViewGroup): View =
            withIcon(super.getDropDownView(position, convertView, parent), position)

        private fun withIcon(view: View, position: Int): View {
            (view as? TextView)?.let {
                it.setCompoundDrawablesRelativeWithIntrinsicBounds(icons.getOrElse(position) { 0 }, 0, 0, 0)
                it.compoundDrawablePadding = resources.getDimensionPixelSize(R.dimen.gap_small)
            }
            return view
        }
    }
}

private fun EditText.update(value: String) {
    if (text.toString() != value) setText(value)
}
