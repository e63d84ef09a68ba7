using System.Globalization;

namespace Berth.Linux;

/// <summary>
/// Gives back the page-table entries of this process's unmodified file pages (code, read-only data,
/// and the untouched pages of writable data) once a long-lived process is done with its busy start.
/// The pages stay in the page cache; only this process's claim on them goes, so its proportional
/// set size shrinks to what it touches afterwards. Pages the process wrote (copy-on-write anonymous
/// copies) are never dropped: that would lose their contents.
/// </summary>
public static unsafe class MappedPages
{
    private const ulong Present = 1UL << 63, FileOrSharedAnon = 1UL << 61;

    /// <summary>Call only while no other thread of the process runs managed code or writes memory:
    /// a page written between the page-map read and the madvise would lose that write.</summary>
    public static void DropCleanFilePages()
    {
        if (RawFile.TryReadText("/proc/self/maps", out string maps) != 0) return;
        int pagemap = Libc.open("/proc/self/pagemap", Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (pagemap < 0) return;
        try
        {
            foreach (var line in maps.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                // start-end perms offset dev inode path
                var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 6 || fields[4] == "0" || fields[1][3] != 'p' || fields[1][0] != 'r') continue;
                int dash = fields[0].IndexOf('-');
                ulong start = ulong.Parse(fields[0].AsSpan(0, dash), NumberStyles.HexNumber);
                ulong end = ulong.Parse(fields[0].AsSpan(dash + 1), NumberStyles.HexNumber);
                DropUnwrittenPages(pagemap, start, end);
            }
        }
        finally { Libc.close(pagemap); }
    }

    // Drops the runs of pages still backed by the file. Read-only mappings have written pages too:
    // RELRO data, relocated at load, then made read-only.
    private static void DropUnwrittenPages(int pagemap, ulong start, ulong end)
    {
        const int PageSize = 4096, Batch = 512;
        ulong* entries = stackalloc ulong[Batch];
        ulong runStart = 0;
        for (ulong page = start; page < end; page += Batch * PageSize)
        {
            int count = (int)Math.Min(Batch, (end - page) / PageSize);
            nint n = Libc.pread(pagemap, (byte*)entries, count * sizeof(ulong), (long)(page / PageSize * sizeof(ulong)));
            if (n != count * sizeof(ulong)) return;
            for (int i = 0; i < count; i++)
            {
                ulong address = page + (ulong)i * PageSize;
                bool clean = (entries[i] & (Present | FileOrSharedAnon)) == (Present | FileOrSharedAnon);
                if (clean && runStart == 0) runStart = address;
                else if (!clean && runStart != 0)
                {
                    Libc.madvise((nint)runStart, (nuint)(address - runStart), Libc.MADV_DONTNEED);
                    runStart = 0;
                }
            }
        }
        if (runStart != 0) Libc.madvise((nint)runStart, (nuint)(end - runStart), Libc.MADV_DONTNEED);
    }
}
