// The icon beside each category's name (in the drafts list and the editor's category choice).
// The `when` is exhaustive: a category added to the core without an icon fails to compile.
package ke.fundi.app

import uniffi.fundi.Category

fun Category.iconRes(): Int = when (this) {
    Category.JEWELRY -> R.drawable.ic_category_jewelry
    Category.TEXTILES -> R.drawable.ic_category_textiles
    Category.BASKETS -> R.drawable.ic_category_baskets
    Category.HOME_DECOR -> R.drawable.ic_category_home_decor
    Category.CARVINGS -> R.drawable.ic_category_carvings
    Category.POTTERY -> R.drawable.ic_category_pottery
    Category.LEATHER -> R.drawable.ic_category_leather
    Category.BEADWORK -> R.drawable.ic_category_beadwork
    Category.OTHER -> R.drawable.ic_category_other
}
