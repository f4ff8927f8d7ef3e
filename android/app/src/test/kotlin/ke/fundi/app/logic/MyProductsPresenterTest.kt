// "My products" over the real core and a real depot: her draft approved by her mentor becomes
// her product (waiting for a shop price, her price, none at the depot, made to order); in the
// editor she makes a new version of it, which the list shows being written, then in review,
// then sent back, while the approved version stays; and the words for every listing and every
// state of a new version, and a shop price in its own currency.
package ke.fundi.app.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.fundi.Category
import uniffi.fundi.DraftCommand
import uniffi.fundi.DraftStatus
import uniffi.fundi.Language
import uniffi.fundi.ListingState
import uniffi.fundi.MyProduct
import uniffi.fundi.NewDraft
import uniffi.fundi.Role

class MyProductsPresenterTest {

    private val basket = NewDraft("Kiondo basket", "Sisal, natural dyes", listOf("sisal"), Category.BASKETS, 250_000, 4u)

    private fun product(
        listing: ListingState = ListingState.PUBLISHED,
        shop: Pair<Long, String>? = 2500L to "USD",
        capacity: UInt = 3u,
        next: DraftStatus? = null,
    ) = MyProduct(
        id = "01900000-0000-7000-8000-000000000101",
        title = "Kiondo",
        version = 2u,
        listing = listing,
        onSale = listing == ListingState.PUBLISHED && shop != null,
        shopPriceMinor = shop?.first,
        shopCurrency = shop?.second,
        priceMinor = 150_000,
        weeklyCapacity = capacity,
        madeToOrder = capacity > 0u,
        piecesAtDepot = 5,
        approvedMs = 1_000u,
        nextVersion = next,
    )

    @Test
    fun everyListingAndEveryStateOfANewVersionHasItsWords() {
        assertEquals(ListingState.values().size, ListingState.values().map(::listingKey).toSet().size)
        assertEquals(StringKey.PRODUCT_ON_SALE, listingKey(ListingState.PUBLISHED))
        assertEquals(StringKey.PRODUCT_AWAITING_PRICE, listingKey(ListingState.AWAITING_PRICE))
        assertEquals(StringKey.PRODUCT_OFF_SALE, listingKey(ListingState.UNPUBLISHED))
        assertNull(newVersionKey(null))
        assertNull(newVersionKey(DraftStatus.APPROVED))
        assertEquals(StringKey.PRODUCT_NEW_VERSION_WRITING, newVersionKey(DraftStatus.DRAFT))
        assertEquals(StringKey.PRODUCT_NEW_VERSION_IN_REVIEW, newVersionKey(DraftStatus.SUBMITTED))
        assertEquals(StringKey.PRODUCT_NEW_VERSION_SENT_BACK, newVersionKey(DraftStatus.CHANGES_REQUESTED))
    }

    @Test
    fun aRowSaysItsPricesPiecesAndHowItIsMade() {
        val row = productRow(product(), Language.SWAHILI)
        assertEquals(UiText(StringKey.PRODUCT_SHOP_PRICE, "USD 25"), row.shopPrice)
        assertEquals(UiText(StringKey.PRODUCT_YOUR_PRICE, "KSh 1,500"), row.yourPrice)
        assertEquals(UiText(StringKey.STOCK_UNITS, 5L), row.pieces)
        assertEquals(UiText(StringKey.PRODUCT_MADE_TO_ORDER, 3L), row.making)
        assertEquals(UiText(StringKey.PRODUCT_VERSION, 2L), row.version)
        assertTrue(row.onSale)
        assertNull(row.newVersion)

        val waiting = productRow(product(ListingState.AWAITING_PRICE, shop = null, capacity = 0u, next = DraftStatus.SUBMITTED), Language.ENGLISH)
        assertNull(waiting.shopPrice, "no shop price yet")
        assertFalse(waiting.onSale)
        assertEquals(UiText(StringKey.PRODUCT_STOCK_ONLY), waiting.making)
        assertEquals(StringKey.PRODUCT_NEW_VERSION_IN_REVIEW, waiting.newVersion)
        assertEquals(UiText(StringKey.PRODUCT_SHOP_PRICE, "EUR 12.50"), productRow(product(shop = 1250L to "EUR"), Language.ENGLISH).shopPrice)
    }

    @Test
    fun aPhoneNotEnrolledSaysSoInsteadOfAnEmptyList() {
        val phone = tempPhone()
        val state = MyProductsPresenter(phone.sync, Language.ENGLISH).load()
        assertEquals(UiText(StringKey.ERROR_NOT_ENROLLED), state.message)
        assertFalse(state.isEmpty)
        phone.closeDatabase()
    }

    @Test
    fun anApprovedDraftBecomesHerProductAndANewVersionGoesThroughReviewAgain() = withDepot { depot ->
        val artisan = depot.enrolledPhone("artisan Akinyi", Role.ARTISAN)
        val mentor = depot.enrolledPhone("mentor", Role.MENTOR)
        val products = MyProductsPresenter(artisan.sync, Language.ENGLISH)
        artisan.sync.syncNow(null)
        assertTrue(products.load().isEmpty, "no product before an approval")

        val d = artisan.drafts.createDraft(basket)
        artisan.drafts.submitDraft(d.id)
        artisan.sync.syncNow(null)
        mentor.sync.syncNow(null)
        ReviewPresenter(mentor.sync).review(d.id, DraftCommand.APPROVE, null)
        assertEquals(0u, mentor.sync.syncNow(null).refused, "the depot took the approval")
        artisan.sync.syncNow(null)

        val row = products.load().rows.single()
        assertEquals(d.id, row.id)
        assertEquals("Kiondo basket", row.title)
        assertEquals(UiText(StringKey.PRODUCT_VERSION, 1L), row.version)
        assertEquals(StringKey.PRODUCT_AWAITING_PRICE, row.listing)
        assertFalse(row.onSale)
        assertNull(row.shopPrice)
        assertEquals(UiText(StringKey.PRODUCT_YOUR_PRICE, "KSh 2,500"), row.yourPrice)
        assertEquals(UiText(StringKey.STOCK_UNITS, 0L), row.pieces)
        assertEquals(UiText(StringKey.PRODUCT_MADE_TO_ORDER, 4L), row.making)
        assertNull(row.newVersion)

        // Her draft, opened from the row: approved, so not editable, but a new version can be made.
        val editor = DraftEditorPresenter(artisan.drafts, Language.ENGLISH)
        val approved = editor.load(d.id)
        assertFalse(approved.editable)
        assertTrue(approved.canRevise)
        assertEquals(UiText(StringKey.APPROVED_NOTE), approved.message)
        val revised = editor.revise(approved)
        assertTrue(revised.editable)
        assertFalse(revised.canRevise)
        assertEquals(UiText(StringKey.REVISED), revised.notice)
        assertNull(revised.message)
        assertEquals(StringKey.PRODUCT_NEW_VERSION_WRITING, products.load().rows.single().newVersion)
        // Twice is refused by the core, and said.
        assertEquals(UiText(StringKey.ERROR_NOT_ALLOWED), editor.revise(approved).message)

        val sent = editor.submit(revised, revised.form.copy(title = "Kiondo basket, large"))
        assertTrue(sent.finished)
        val inReview = products.load().rows.single()
        assertEquals(StringKey.PRODUCT_NEW_VERSION_IN_REVIEW, inReview.newVersion)
        assertEquals("Kiondo basket", inReview.title, "the approved version is still the product")
        assertEquals(0u, artisan.sync.syncNow(null).refused, "the depot took the revise and the submit")

        mentor.sync.syncNow(null)
        ReviewPresenter(mentor.sync).review(d.id, DraftCommand.REQUEST_CHANGES, "Show the handles")
        mentor.sync.syncNow(null)
        artisan.sync.syncNow(null)
        val sentBack = products.load().rows.single()
        assertEquals(StringKey.PRODUCT_NEW_VERSION_SENT_BACK, sentBack.newVersion)
        assertEquals(UiText(StringKey.PRODUCT_VERSION, 1L), sentBack.version)
        artisan.closeDatabase()
        mentor.closeDatabase()
    }
}
