// The editor presenter over a real database: save, validation errors per field and the first
// of them, the blank category, the id chosen before the first save (no duplicate after a
// rotation or a kill), leaving with changes, autosave, submit, delete, the mentor's note.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.Category
import uniffi.fundi.DraftCommand
import uniffi.fundi.DraftField
import uniffi.fundi.DraftStatus
import uniffi.fundi.Language
import uniffi.fundi.Role
import uniffi.fundi.productCategories

class DraftEditorPresenterTest {

    private val good = DraftForm(
        title = "Kiondo basket",
        description = "Woven sisal with leather straps",
        materials = "sisal, leather,\ndye",
        category = Category.BASKETS,
        price = "1,250",
        weeklyCapacity = "4",
    )

    @Test
    fun aBlankFormHasItsIdChosenAndNoCategory() {
        val phone = tempPhone()
        val p = DraftEditorPresenter(phone.drafts, Language.ENGLISH)
        assertEquals(productCategories(), p.categories)
        val blank = p.blank()
        assertEquals(36, blank.draftId.length)
        assertNotEquals(blank.draftId, p.blank().draftId)
        assertFalse(blank.saved)
        assertNull(blank.form.category, "the blank 'choose a category' entry")
        assertTrue(blank.editable)
        assertFalse(blank.changed(DraftForm()), "nothing typed is nothing to save")
        assertTrue(blank.changed(DraftForm(title = "K")))
        assertEquals(0, phone.drafts.listDrafts().size, "choosing the id saves nothing")
        phone.closeDatabase()
    }

    @Test
    fun noCategoryChosenFiresTheCoresRuleAndIsTheFieldToShow() {
        val phone = tempPhone()
        val p = DraftEditorPresenter(phone.drafts, Language.ENGLISH)
        val state = p.save(p.blank(), good.copy(category = null))
        assertEquals(UiText(StringKey.ERROR_CATEGORY_REQUIRED), state.fieldErrors[DraftField.CATEGORY])
        assertEquals(DraftField.CATEGORY, state.firstError)
        assertEquals(UiText(StringKey.FIX_MARKED_FIELDS), state.message)
        assertFalse(state.saved)
        assertEquals(0, phone.drafts.listDrafts().size)
        phone.closeDatabase()
    }

    @Test
    fun saveCreatesThenUpdatesAndTheFormRoundTrips() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val p = DraftEditorPresenter(drafts, Language.ENGLISH)
        val blank = p.blank()
        val created = p.save(blank, good)
        val id = created.draftId
        assertEquals(blank.draftId, id, "saved under the id chosen first")
        assertTrue(created.saved)
        assertEquals(UiText(StringKey.SAVED), created.notice)
        assertEquals(emptyMap<DraftField, UiText>(), created.fieldErrors)
        assertNull(created.firstError)
        assertEquals("KSh 1,250", created.form.price)
        assertEquals("sisal, leather, dye", created.form.materials)
        assertEquals(created.form, created.savedForm)
        assertEquals(listOf("sisal", "leather", "dye"), drafts.getDraft(id).materials)
        assertEquals(125_000L, drafts.getDraft(id).price.minor)

        // What the editor shows can be saved again unchanged (the price text parses back).
        val again = p.save(created, created.form.copy(title = "Kiondo basket, large", weeklyCapacity = "6"))
        assertEquals(id, again.draftId)
        val stored = drafts.getDraft(id)
        assertEquals("Kiondo basket, large", stored.title)
        assertEquals(125_000L, stored.price.minor)
        assertEquals(6u, stored.weeklyCapacity)
        assertEquals(1, drafts.listDrafts().size)

        assertEquals(again.form, p.load(id).form)
        phone.closeDatabase()
    }

    @Test
    fun aRotationOrAKillDuringTheFirstSaveMakesNoSecondDraft() {
        val phone = tempPhone()
        val p = DraftEditorPresenter(phone.drafts, Language.ENGLISH)
        val blank = p.blank()
        // The save committed, but the screen was rotated (or killed) before it showed the answer:
        // the restored screen has the id and "never saw a save", and the fields as typed.
        p.save(blank, good)
        val restored = p.load(blank.draftId, neverSaved = true)
        assertTrue(restored.saved)
        val again = p.save(restored, good)
        assertEquals(blank.draftId, again.draftId)
        assertEquals(listOf(blank.draftId), phone.drafts.listDrafts().map { it.id })

        // Killed before the first save committed: the same id comes back as a blank new draft
        // (no "not found"), and its first save creates it once.
        val other = p.blank()
        val fresh = p.load(other.draftId, neverSaved = true)
        assertEquals(other.draftId, fresh.draftId)
        assertFalse(fresh.saved)
        assertTrue(fresh.editable)
        assertNull(fresh.message)
        p.save(fresh, good.copy(title = "Bowl"))
        p.save(p.load(other.draftId, neverSaved = true), good.copy(title = "Bowl"))
        assertEquals(2, phone.drafts.listDrafts().size)

        // A draft opened from the list that is gone is an error, not a blank form.
        assertEquals(UiText(StringKey.ERROR_NOT_FOUND), p.load(p.blank().draftId).message)
        phone.closeDatabase()
    }

    @Test
    fun coreValidationErrorsLandOnTheirFieldsAndTheTopmostIsNamed() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val p = DraftEditorPresenter(drafts, Language.ENGLISH)
        val state = p.save(p.blank(), good.copy(title = "   ", weeklyCapacity = "0"))
        assertFalse(state.saved)
        assertEquals(UiText(StringKey.FIX_MARKED_FIELDS), state.message)
        assertEquals(UiText(StringKey.ERROR_TITLE_REQUIRED), state.fieldErrors[DraftField.TITLE])
        assertEquals(UiText(StringKey.ERROR_CAPACITY_TOO_SMALL, 1L), state.fieldErrors[DraftField.WEEKLY_CAPACITY])
        assertEquals(DraftField.TITLE, state.firstError)
        assertEquals("   ", state.form.title, "what was typed stays on screen")
        assertEquals(0, drafts.listDrafts().size)

        val lower = p.save(state, good.copy(price = "elfu moja", weeklyCapacity = "0"))
        assertEquals(DraftField.PRICE, lower.firstError, "the price comes before the weekly count on screen")
        phone.closeDatabase()
    }

    @Test
    fun unreadablePriceAndCountAreReportedTogether() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val p = DraftEditorPresenter(drafts, Language.SWAHILI)
        val state = p.save(p.blank(), good.copy(price = "elfu moja", weeklyCapacity = "tano"))
        assertEquals(UiText(StringKey.ERROR_PRICE_INVALID), state.fieldErrors[DraftField.PRICE])
        assertEquals(UiText(StringKey.ERROR_CAPACITY_INVALID), state.fieldErrors[DraftField.WEEKLY_CAPACITY])
        val blank = p.save(p.blank(), good.copy(price = "", weeklyCapacity = ""))
        assertEquals(UiText(StringKey.ERROR_PRICE_REQUIRED), blank.fieldErrors[DraftField.PRICE])
        assertEquals(UiText(StringKey.ERROR_CAPACITY_REQUIRED), blank.fieldErrors[DraftField.WEEKLY_CAPACITY])
        assertEquals(0, drafts.listDrafts().size)
        phone.closeDatabase()
    }

    @Test
    fun leavingSavesWhatChangedOrAsksWhenTheCoreRefusesIt() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val p = DraftEditorPresenter(drafts, Language.ENGLISH)

        // Nothing typed: close, and no empty draft is made.
        val untouched = p.leave(p.blank(), DraftForm())
        assertTrue(untouched.finished)
        assertEquals(0, drafts.listDrafts().size)

        // Typed and valid: saved, then closed.
        val typed = p.leave(p.blank(), good)
        assertTrue(typed.finished)
        assertEquals(UiText(StringKey.SAVED), typed.notice)
        assertEquals("Kiondo basket", drafts.getDraft(typed.draftId).title)

        // Changed to something the core refuses: not closed, the fields say why, and the user
        // is asked whether to leave without saving. The stored draft is untouched.
        val opened = p.load(typed.draftId)
        val refused = p.leave(opened, opened.form.copy(title = ""))
        assertFalse(refused.finished)
        assertTrue(refused.askDiscard)
        assertEquals(DraftField.TITLE, refused.firstError)
        assertEquals("Kiondo basket", drafts.getDraft(typed.draftId).title)

        // Opened and left as it was: nothing written.
        val before = drafts.getDraft(typed.draftId)
        assertTrue(p.leave(opened, opened.form).finished)
        assertEquals(before, drafts.getDraft(typed.draftId))
        phone.closeDatabase()
    }

    @Test
    fun goingToTheBackgroundSavesQuietlyWhatTheCoreAccepts() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val p = DraftEditorPresenter(drafts, Language.ENGLISH)
        val blank = p.blank()
        val kept = p.autosave(blank, good)
        assertTrue(kept.saved)
        assertNull(kept.notice, "no toast for a save the user did not ask for")
        assertEquals(listOf(blank.draftId), drafts.listDrafts().map { it.id })

        // Refused: nothing pops up, nothing is written, the state stays as it was.
        val refused = p.autosave(kept, kept.form.copy(weeklyCapacity = "0"))
        assertEquals(kept, refused)
        assertEquals(4u, drafts.getDraft(blank.draftId).weeklyCapacity)
        // Unchanged: not even a call.
        assertEquals(kept, p.autosave(kept, kept.form))
        phone.closeDatabase()
    }

    @Test
    fun submitSavesFirstThenLocksTheDraft() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val p = DraftEditorPresenter(drafts, Language.ENGLISH)
        val sent = p.submit(p.blank(), good)
        assertTrue(sent.finished)
        assertEquals(UiText(StringKey.SUBMITTED), sent.notice)
        val id = sent.draftId
        assertEquals(DraftStatus.SUBMITTED, drafts.getDraft(id).status)

        val reopened = p.load(id)
        assertFalse(reopened.editable)
        assertEquals(StringKey.STATE_SUBMITTED, reopened.state)
        assertEquals(UiText(StringKey.READ_ONLY_NOTE), reopened.message)
        assertNull(reopened.reviewNote)
        assertFalse(reopened.changed(reopened.form.copy(title = "Changed")), "a locked draft has nothing to save on leaving")

        // The core refuses changes to a submitted draft; the editor says so instead of crashing.
        val refused = p.save(reopened, reopened.form.copy(title = "Changed"))
        assertEquals(UiText(StringKey.ERROR_NOT_ALLOWED), refused.message)
        assertNull(refused.firstError)
        assertEquals(good.title, drafts.getDraft(id).title)
        phone.closeDatabase()
    }

    @Test
    fun submitWithInvalidFieldsDoesNotSubmit() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val p = DraftEditorPresenter(drafts, Language.ENGLISH)
        val state = p.submit(p.blank(), good.copy(title = ""))
        assertFalse(state.finished)
        assertEquals(UiText(StringKey.ERROR_TITLE_REQUIRED), state.fieldErrors[DraftField.TITLE])
        assertEquals(DraftField.TITLE, state.firstError)
        assertEquals(0, drafts.listDrafts().size)
        phone.closeDatabase()
    }

    @Test
    fun deleteRemovesTheDraftAndClosesTheScreen() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val p = DraftEditorPresenter(drafts, Language.ENGLISH)
        val saved = p.save(p.blank(), good)
        val deleted = p.delete(saved, good)
        assertTrue(deleted.finished)
        assertEquals(UiText(StringKey.DELETED), deleted.notice)
        assertEquals(0, drafts.listDrafts().size)
        assertEquals(UiText(StringKey.ERROR_NOT_FOUND), p.load(saved.draftId).message)
        assertEquals(UiText(StringKey.ERROR_NOT_FOUND), p.delete(saved, good).message)
        phone.closeDatabase()
    }

    @Test
    fun workAfterCloseReportsClosed() {
        val phone = tempPhone()
        val drafts = phone.drafts
        val p = DraftEditorPresenter(drafts, Language.ENGLISH)
        val blank = p.blank()
        phone.closeDatabase()
        val state = p.save(blank, good)
        assertEquals(UiText(StringKey.ERROR_CLOSED), state.message)
        assertEquals(emptyMap<DraftField, UiText>(), state.fieldErrors)
        assertNull(state.firstError)
        assertTrue(p.leave(blank, good).askDiscard, "leaving when nothing can be saved asks, never drops silently")
    }

    @Test
    fun theMentorsNoteShowsWhileTheDraftIsSentBack() = withDepot { depot ->
        val artisan = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        val mentor = depot.enrolledPhone("mentor", Role.MENTOR)
        val p = DraftEditorPresenter(artisan.drafts, Language.ENGLISH)
        val sent = p.submit(p.blank(), good)
        artisan.sync.syncNow(null)
        mentor.sync.syncNow(null)
        ReviewPresenter(mentor.sync).review(sent.draftId, DraftCommand.REQUEST_CHANGES, "Show the handle in the main photo")
        mentor.sync.syncNow(null)
        artisan.sync.syncNow(null)

        val back = p.load(sent.draftId)
        assertEquals(StringKey.STATE_CHANGES_REQUESTED, back.state)
        assertEquals("Show the handle in the main photo", back.reviewNote)
        assertTrue(back.editable)
        // Her changes keep the note in view until she sends the draft again.
        val fixed = p.save(back, back.form.copy(description = "Now with the handle shown"))
        assertEquals("Show the handle in the main photo", fixed.reviewNote)
        val resent = p.submit(fixed, fixed.form)
        assertNull(resent.reviewNote)
        assertNull(p.load(sent.draftId).reviewNote)
        artisan.closeDatabase()
        mentor.closeDatabase()
    }
}
