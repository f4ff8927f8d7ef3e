// "My products" / "Bidhaa zangu": each of her approved products with how the shop lists it
// (waiting for a shop price, on sale, taken off sale), the shop's price and hers, the pieces the
// depot holds, whether she makes it to order, and a new version being written or reviewed.
// Everything shown is the core's (SyncService.myProducts: the depot's product records, the
// stock ledger, her drafts; formatShopPrice, formatKes); this maps it to words. Calls block on
// the database: call them from the worker thread.
package ke.fundi.app.logic

import uniffi.fundi.DraftStatus
import uniffi.fundi.FundiException
import uniffi.fundi.Language
import uniffi.fundi.ListingState
import uniffi.fundi.MyProduct
import uniffi.fundi.SyncServiceInterface
import uniffi.fundi.formatKes
import uniffi.fundi.formatShopPrice

/** How the shop lists a product, in words. */
fun listingKey(listing: ListingState): StringKey = when (listing) {
    ListingState.AWAITING_PRICE -> StringKey.PRODUCT_AWAITING_PRICE
    ListingState.PUBLISHED -> StringKey.PRODUCT_ON_SALE
    ListingState.UNPUBLISHED -> StringKey.PRODUCT_OFF_SALE
}

/** A new version on its way (the status of its draft, not approved), in words; null: none. */
fun newVersionKey(status: DraftStatus?): StringKey? = when (status) {
    null, DraftStatus.APPROVED -> null
    DraftStatus.DRAFT -> StringKey.PRODUCT_NEW_VERSION_WRITING
    DraftStatus.SUBMITTED -> StringKey.PRODUCT_NEW_VERSION_IN_REVIEW
    DraftStatus.CHANGES_REQUESTED -> StringKey.PRODUCT_NEW_VERSION_SENT_BACK
}

/**
 * One product. `onSale` marks the listing line; `shopPrice` is null until operations set one;
 * `newVersion` is null unless a new version is being written or reviewed. Tapping the row opens
 * its draft (`id` is the draft's id too).
 */
data class ProductRow(
    val id: String,
    val title: String,
    val version: UiText,
    val listing: StringKey,
    val onSale: Boolean,
    val shopPrice: UiText?,
    val yourPrice: UiText,
    val pieces: UiText,
    val making: UiText,
    val newVersion: StringKey?,
)

data class MyProductsState(val rows: List<ProductRow>, val message: UiText? = null) {
    /** No product and nothing went wrong: the screen's empty text. */
    val isEmpty: Boolean get() = rows.isEmpty() && message == null
}

fun productRow(p: MyProduct, language: Language): ProductRow {
    val shop = p.shopPriceMinor?.let { minor -> p.shopCurrency?.let { formatShopPrice(minor, it, language) } }
    return ProductRow(
        id = p.id,
        title = p.title,
        version = UiText(StringKey.PRODUCT_VERSION, p.version.toLong()),
        listing = listingKey(p.listing),
        onSale = p.onSale,
        shopPrice = shop?.let { UiText(StringKey.PRODUCT_SHOP_PRICE, it) },
        yourPrice = UiText(StringKey.PRODUCT_YOUR_PRICE, formatKes(p.priceMinor, language)),
        pieces = UiText(StringKey.STOCK_UNITS, p.piecesAtDepot),
        making = if (p.madeToOrder) UiText(StringKey.PRODUCT_MADE_TO_ORDER, p.weeklyCapacity.toLong()) else UiText(StringKey.PRODUCT_STOCK_ONLY),
        newVersion = newVersionKey(p.nextVersion),
    )
}

class MyProductsPresenter(private val sync: SyncServiceInterface, private val language: Language) {

    /** Her products, newest approval first (the core's order). */
    fun load(): MyProductsState = try {
        MyProductsState(sync.myProducts().map { productRow(it, language) })
    } catch (e: FundiException) {
        MyProductsState(emptyList(), errorText(e))
    }
}
