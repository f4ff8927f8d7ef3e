// Background sync with the framework JobScheduler: one periodic job (every few hours, on any
// network, persisted across reboots, exponential backoff when no depot is in reach). The job
// runs BackgroundSync on the app's one worker and posts a notification when new orders wait
// for the artisan. Scheduled once the phone is enrolled (FundiApp.onCreate); kept if already
// pending so that opening the app does not push the next run back.
package ke.fundi.app

import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.app.job.JobInfo
import android.app.job.JobParameters
import android.app.job.JobScheduler
import android.app.job.JobService
import android.content.ComponentName
import android.content.Context
import android.content.Intent
import ke.fundi.app.logic.BackgroundOutcome
import ke.fundi.app.logic.BackgroundSync
import ke.fundi.app.logic.newOrdersText

class SyncJobService : JobService() {

    override fun onStartJob(params: JobParameters): Boolean {
        val app = application as FundiApp
        val unmetered = app.unmetered()
        app.background(
            work = {
                try {
                    DepotNetwork.bound(app) { BackgroundSync(app.sync(), app.photos(), app.reviewPhotos(), unmetered).run() }
                } catch (e: Throwable) {
                    // A library that fails to load, a panic: never a crash loop; try again later.
                    BackgroundOutcome(emptyList(), retry = true)
                }
            },
            stillWanted = { true },
            done = { outcome ->
                newOrdersText(outcome.newOrders)?.let { notifyNewOrders(it) }
                jobFinished(params, outcome.retry)
            },
        )
        return true
    }

    /** The system stopped the job (the network went): run it again later. */
    override fun onStopJob(params: JobParameters): Boolean = true

    private fun notifyNewOrders(message: ke.fundi.app.logic.UiText) {
        val manager = getSystemService(NotificationManager::class.java) ?: return
        manager.createNotificationChannel(
            NotificationChannel(CHANNEL_ORDERS, getString(R.string.notify_channel_orders), NotificationManager.IMPORTANCE_DEFAULT),
        )
        val open = PendingIntent.getActivity(
            this,
            0,
            Intent(this, LauncherActivity::class.java).addFlags(Intent.FLAG_ACTIVITY_NEW_TASK),
            PendingIntent.FLAG_IMMUTABLE,
        )
        val notification = Notification.Builder(this, CHANNEL_ORDERS)
            .setSmallIcon(R.drawable.ic_orders)
            .setContentTitle(getString(R.string.app_name))
            .setContentText(text(message))
            .setContentIntent(open)
            .setAutoCancel(true)
            .build()
        manager.notify(NOTIFICATION_NEW_ORDERS, notification)
    }

    companion object {
        private const val JOB_ID = 1
        private const val CHANNEL_ORDERS = "orders"
        private const val NOTIFICATION_NEW_ORDERS = 1
        private const val PERIOD_MS = 3L * 60 * 60 * 1000
        private const val BACKOFF_MS = 60L * 1000

        /** Schedule the periodic job unless it is already pending. */
        fun schedule(context: Context) {
            val scheduler = context.getSystemService(JobScheduler::class.java) ?: return
            if (scheduler.getPendingJob(JOB_ID) != null) return
            val job = JobInfo.Builder(JOB_ID, ComponentName(context, SyncJobService::class.java))
                .setRequiredNetworkType(JobInfo.NETWORK_TYPE_ANY)
                .setPersisted(true)
                .setPeriodic(PERIOD_MS)
                .setBackoffCriteria(BACKOFF_MS, JobInfo.BACKOFF_POLICY_EXPONENTIAL)
                .build()
            scheduler.schedule(job)
        }
    }
}
