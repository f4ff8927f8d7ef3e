// What the screens say, as keys into res/values*/strings.xml. This package never touches
// android.*, so it runs (and is tested) on the host JVM; the Android side turns a key into a
// resource id in one exhaustive `when` (ke.fundi.app.Strings), which the compiler checks.
package ke.fundi.app.logic

/** A string resource by name: `resName` is the `<string name=...>` in strings.xml. */
enum class StringKey {
    ROW_WEEKLY_CAPACITY,
    SAVED,
    SUBMITTED,
    DELETED,
    FIX_MARKED_FIELDS,
    READ_ONLY_NOTE,

    STATE_DRAFT,
    STATE_SUBMITTED,
    STATE_CHANGES_REQUESTED,
    STATE_APPROVED,

    CATEGORY_JEWELRY,
    CATEGORY_TEXTILES,
    CATEGORY_BASKETS,
    CATEGORY_HOME_DECOR,
    CATEGORY_CARVINGS,
    CATEGORY_POTTERY,
    CATEGORY_LEATHER,
    CATEGORY_BEADWORK,
    CATEGORY_OTHER,

    ERROR_TITLE_REQUIRED,
    ERROR_TITLE_TOO_LONG,
    ERROR_TITLE_TOO_MANY,
    ERROR_TITLE_TOO_SMALL,
    ERROR_TITLE_TOO_LARGE,
    ERROR_TITLE_INVALID,

    ERROR_DESCRIPTION_REQUIRED,
    ERROR_DESCRIPTION_TOO_LONG,
    ERROR_DESCRIPTION_TOO_MANY,
    ERROR_DESCRIPTION_TOO_SMALL,
    ERROR_DESCRIPTION_TOO_LARGE,
    ERROR_DESCRIPTION_INVALID,

    ERROR_MATERIALS_REQUIRED,
    ERROR_MATERIALS_TOO_LONG,
    ERROR_MATERIALS_TOO_MANY,
    ERROR_MATERIALS_TOO_SMALL,
    ERROR_MATERIALS_TOO_LARGE,
    ERROR_MATERIALS_INVALID,

    ERROR_CATEGORY_REQUIRED,
    ERROR_CATEGORY_TOO_LONG,
    ERROR_CATEGORY_TOO_MANY,
    ERROR_CATEGORY_TOO_SMALL,
    ERROR_CATEGORY_TOO_LARGE,
    ERROR_CATEGORY_INVALID,

    ERROR_PRICE_REQUIRED,
    ERROR_PRICE_TOO_LONG,
    ERROR_PRICE_TOO_MANY,
    ERROR_PRICE_TOO_SMALL,
    ERROR_PRICE_TOO_LARGE,
    ERROR_PRICE_INVALID,

    ERROR_CAPACITY_REQUIRED,
    ERROR_CAPACITY_TOO_LONG,
    ERROR_CAPACITY_TOO_MANY,
    ERROR_CAPACITY_TOO_SMALL,
    ERROR_CAPACITY_TOO_LARGE,
    ERROR_CAPACITY_INVALID,

    ERROR_NOT_FOUND,
    ERROR_NOT_ALLOWED,
    ERROR_STORAGE_FULL,
    ERROR_STORAGE_FAILED,
    ERROR_STORAGE_CORRUPT,
    ERROR_APP_TOO_OLD,
    ERROR_CLOSED,
    ERROR_INTERNAL,
    ERROR_OFFLINE,
    ERROR_UNAUTHORIZED,
    ERROR_NOT_ENROLLED,
    ERROR_DEPOT_IDENTITY_CHANGED,
    ERROR_CONFLICT,
    ERROR_DEPOT,
    ERROR_PHOTO_EMPTY,
    ERROR_PHOTO_NOT_AN_IMAGE,
    ERROR_PHOTO_TOO_LARGE,
    ERROR_PHOTO_TRUNCATED,
    ERROR_PHOTO_DAMAGED,
    ERROR_PHOTO_UNSUPPORTED,
    ERROR_PHOTO_HEIC,
    ERROR_PHOTO_UNREADABLE,

    PHOTOS_SAVE_FIRST,
    PHOTOS_EMPTY,
    PHOTOS_MAIN_HINT,
    PHOTOS_FULL,
    PHOTO_ADDED,
    PHOTO_REMOVED,
    ADVICE_BLURRY,
    ADVICE_TOO_DARK,
    ADVICE_OVEREXPOSED,
    ADVICE_TOO_SMALL,

    CONFLICTS_FOLDED;

    val resName: String get() = name.lowercase()
}

/**
 * Text to show: a string resource and its format arguments. Arguments are already formatted
 * where formatting is a rule (prices come from the core's formatKes); numbers are Longs so
 * that `%1$d` accepts them.
 */
data class UiText(val key: StringKey, val args: List<Any> = emptyList()) {
    constructor(key: StringKey, vararg args: Any) : this(key, args.toList())
}
