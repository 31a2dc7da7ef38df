package vectorgrad.spark;

import org.apache.spark.sql.SparkSession;

/** One local Spark session per test JVM (starting one takes 3-4 s), with two task slots. */
final class LocalSpark {
    private LocalSpark() {}

    private static SparkSession session;

    static synchronized SparkSession get() {
        if (session == null || session.sparkContext().isStopped()) { // a program under test stops its session
            session = SparkSession.builder()
                    .appName("vectorgrad-spark tests")
                    // local[2, 4]: two slots, and a failed task may be retried (local mode's default is no retry)
                    .master("local[2,4]")
                    .config("spark.ui.enabled", "false")
                    .config("spark.ui.showConsoleProgress", "false")
                    .config("spark.sql.shuffle.partitions", "2")
                    .config("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s")
                    .config("spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures", "2")
                    .getOrCreate();
            session.sparkContext().setLogLevel("WARN");
        }
        return session;
    }
}
