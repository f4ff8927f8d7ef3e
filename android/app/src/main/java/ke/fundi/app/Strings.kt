// From the logic's string keys to resource ids. The `when` is exhaustive, so a key without a
// resource fails to compile (and scripts/android/check compiles this against the real R).
package ke.fundi.app

import android.content.Context
import ke.fundi.app.logic.StringKey
import ke.fundi.app.logic.UiText

fun StringKey.resId(): Int = when (this) {
    StringKey.ROW_WEEKLY_CAPACITY -> R.string.row_weekly_capacity
    StringKey.SAVED -> R.string.saved
    StringKey.SUBMITTED -> R.string.submitted
    StringKey.DELETED -> R.string.deleted
    StringKey.FIX_MARKED_FIELDS -> R.string.fix_marked_fields
    StringKey.READ_ONLY_NOTE -> R.string.read_only_note
    StringKey.STATE_DRAFT -> R.string.state_draft
    StringKey.STATE_SUBMITTED -> R.string.state_submitted
    StringKey.STATE_CHANGES_REQUESTED -> R.string.state_changes_requested
    StringKey.STATE_APPROVED -> R.string.state_approved
    StringKey.CATEGORY_JEWELRY -> R.string.category_jewelry
    StringKey.CATEGORY_TEXTILES -> R.string.category_textiles
    StringKey.CATEGORY_BASKETS -> R.string.category_baskets
    StringKey.CATEGORY_HOME_DECOR -> R.string.category_home_decor
    StringKey.CATEGORY_CARVINGS -> R.string.category_carvings
    StringKey.CATEGORY_POTTERY -> R.string.category_pottery
    StringKey.CATEGORY_LEATHER -> R.string.category_leather
    StringKey.CATEGORY_BEADWORK -> R.string.category_beadwork
    StringKey.CATEGORY_OTHER -> R.string.category_other
    StringKey.ERROR_TITLE_REQUIRED -> R.string.error_title_required
    StringKey.ERROR_TITLE_TOO_LONG -> R.string.error_title_too_long
    StringKey.ERROR_TITLE_TOO_MANY -> R.string.error_title_too_many
    StringKey.ERROR_TITLE_TOO_SMALL -> R.string.error_title_too_small
    StringKey.ERROR_TITLE_TOO_LARGE -> R.string.error_title_too_large
    StringKey.ERROR_TITLE_INVALID -> R.string.error_title_invalid
    StringKey.ERROR_DESCRIPTION_REQUIRED -> R.string.error_description_required
    StringKey.ERROR_DESCRIPTION_TOO_LONG -> R.string.error_description_too_long
    StringKey.ERROR_DESCRIPTION_TOO_MANY -> R.string.error_description_too_many
    StringKey.ERROR_DESCRIPTION_TOO_SMALL -> R.string.error_description_too_small
    StringKey.ERROR_DESCRIPTION_TOO_LARGE -> R.string.error_description_too_large
    StringKey.ERROR_DESCRIPTION_INVALID -> R.string.error_description_invalid
    StringKey.ERROR_MATERIALS_REQUIRED -> R.string.error_materials_required
    StringKey.ERROR_MATERIALS_TOO_LONG -> R.string.error_materials_too_long
    StringKey.ERROR_MATERIALS_TOO_MANY -> R.string.error_materials_too_many
    StringKey.ERROR_MATERIALS_TOO_SMALL -> R.string.error_materials_too_small
    StringKey.ERROR_MATERIALS_TOO_LARGE -> R.string.error_materials_too_large
    StringKey.ERROR_MATERIALS_INVALID -> R.string.error_materials_invalid
    StringKey.ERROR_CATEGORY_REQUIRED -> R.string.error_category_required
    StringKey.ERROR_CATEGORY_TOO_LONG -> R.string.error_category_too_long
    StringKey.ERROR_CATEGORY_TOO_MANY -> R.string.error_category_too_many
    StringKey.ERROR_CATEGORY_TOO_SMALL -> R.string.error_category_too_small
    StringKey.ERROR_CATEGORY_TOO_LARGE -> R.string.error_category_too_large
    StringKey.ERROR_CATEGORY_INVALID -> R.string.error_category_invalid
    StringKey.ERROR_PRICE_REQUIRED -> R.string.error_price_required
    StringKey.ERROR_PRICE_TOO_LONG -> R.string.error_price_too_long
    StringKey.ERROR_PRICE_TOO_MANY -> R.string.error_price_too_many
    StringKey.ERROR_PRICE_TOO_SMALL -> R.string.error_price_too_small
    StringKey.ERROR_PRICE_TOO_LARGE -> R.string.error_price_too_large
    StringKey.ERROR_PRICE_INVALID -> R.string.error_price_invalid
    StringKey.ERROR_CAPACITY_REQUIRED -> R.string.error_capacity_required
    StringKey.ERROR_CAPACITY_TOO_LONG -> R.string.error_capacity_too_long
    StringKey.ERROR_CAPACITY_TOO_MANY -> R.string.error_capacity_too_many
    StringKey.ERROR_CAPACITY_TOO_SMALL -> R.string.error_capacity_too_small
    StringKey.ERROR_CAPACITY_TOO_LARGE -> R.string.error_capacity_too_large
    StringKey.ERROR_CAPACITY_INVALID -> R.string.error_capacity_invalid
    StringKey.ERROR_NOT_FOUND -> R.string.error_not_found
    StringKey.ERROR_NOT_ALLOWED -> R.string.error_not_allowed
    StringKey.ERROR_STORAGE_FULL -> R.string.error_storage_full
    StringKey.ERROR_STORAGE_FAILED -> R.string.error_storage_failed
    StringKey.ERROR_STORAGE_CORRUPT -> R.string.error_storage_corrupt
    StringKey.ERROR_APP_TOO_OLD -> R.string.error_app_too_old
    StringKey.ERROR_CLOSED -> R.string.error_closed
    StringKey.ERROR_INTERNAL -> R.string.error_internal
    StringKey.ERROR_OFFLINE -> R.string.error_offline
    StringKey.ERROR_UNAUTHORIZED -> R.string.error_unauthorized
    StringKey.ERROR_NOT_ENROLLED -> R.string.error_not_enrolled
    StringKey.ERROR_DEPOT_IDENTITY_CHANGED -> R.string.error_depot_identity_changed
    StringKey.ERROR_CONFLICT -> R.string.error_conflict
    StringKey.ERROR_DEPOT -> R.string.error_depot
    StringKey.ERROR_PHOTO_EMPTY -> R.string.error_photo_empty
    StringKey.ERROR_PHOTO_NOT_AN_IMAGE -> R.string.error_photo_not_an_image
    StringKey.ERROR_PHOTO_TOO_LARGE -> R.string.error_photo_too_large
    StringKey.ERROR_PHOTO_TRUNCATED -> R.string.error_photo_truncated
    StringKey.ERROR_PHOTO_DAMAGED -> R.string.error_photo_damaged
    StringKey.ERROR_PHOTO_UNSUPPORTED -> R.string.error_photo_unsupported
    StringKey.ERROR_PHOTO_HEIC -> R.string.error_photo_heic
    StringKey.ERROR_PHOTO_UNREADABLE -> R.string.error_photo_unreadable
    StringKey.PHOTOS_SAVE_FIRST -> R.string.photos_save_first
    StringKey.PHOTOS_EMPTY -> R.string.photos_empty
    StringKey.PHOTOS_MAIN_HINT -> R.string.photos_main_hint
    StringKey.PHOTOS_FULL -> R.string.photos_full
    StringKey.PHOTO_ADDED -> R.string.photo_added
    StringKey.PHOTO_REMOVED -> R.string.photo_removed
    StringKey.ADVICE_BLURRY -> R.string.advice_blurry
    StringKey.ADVICE_TOO_DARK -> R.string.advice_too_dark
    StringKey.ADVICE_OVEREXPOSED -> R.string.advice_overexposed
    StringKey.ADVICE_TOO_SMALL -> R.string.advice_too_small
    StringKey.CONFLICTS_FOLDED -> R.string.conflicts_folded
}

fun Context.text(key: StringKey): String = getString(key.resId())

fun Context.text(t: UiText): String = getString(t.key.resId(), *t.args.toTypedArray())
