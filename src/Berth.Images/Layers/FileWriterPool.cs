using System.Buffers;
using Berth.Linux;

namespace Berth.Images.Layers;

/// <summary>
/// Writes small regular files of a layer on worker threads while the unpacker reads on. Creating an
/// inode is the slowest step of unpacking on ext4 here (~250 µs, CPU in the kernel) and two threads
/// create files 1.6× as fast as one (measured), so the files of a layer are written two at a time.
///
/// Contract with the unpacker: a job names a file by its parent directory (a descriptor the job owns,
/// resolved safely by the unpacker) and one path component, created O_EXCL|O_NOFOLLOW. The unpacker
/// keeps the set of paths with jobs in flight and calls <see cref="Barrier"/> before any entry that
/// touches such a path or one below it, before hardlinks and whiteouts, and at the end; a job that
/// finds its name taken is handed back at the barrier, to be replaced on the unpacker's thread.
/// </summary>
internal sealed class FileWriterPool : IDisposable
{
    public const int MaxFileSize = 1 << 20;

    public sealed class Job
    {
        public required int ParentFd;
        public required string Name, Path;
        public required byte[] Data;
        public required int Length;
        public required uint Uid, Gid, Mode;
        public required (string Name, byte[] Value)[] Xattrs;
        public required Libc.Timespec Atime, Mtime;
        /// <summary>Set by a worker when the name already existed: the unpacker finishes the job.</summary>
        public bool NameTaken;
    }

    private readonly Queue<Job> _queue = new();
    private readonly List<Job> _handedBack = [];
    private readonly object _lock = new();
    private readonly Thread[] _workers;
    private int _inFlight;
    private bool _stopping;
    private Exception? _failure;

    public HashSet<string> Pending { get; } = new(StringComparer.Ordinal);

    public FileWriterPool(int workers)
    {
        _workers = new Thread[workers];
        for (int i = 0; i < workers; i++)
        {
            _workers[i] = new Thread(Work) { IsBackground = true, Name = "berth-unpack" };
            _workers[i].Start();
        }
    }

    public void Submit(Job job)
    {
        lock (_lock)
        {
            if (_failure is not null) Rethrow();
            Pending.Add(job.Path);
            _queue.Enqueue(job);
            _inFlight++;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Waits for every job; returns those whose name was taken (their parent fds still open), clears <see cref="Pending"/>.</summary>
    public List<Job> Barrier()
    {
        lock (_lock)
        {
            while (_inFlight > 0) Monitor.Wait(_lock);
            if (_failure is not null) Rethrow();
            Pending.Clear();
            var back = new List<Job>(_handedBack);
            _handedBack.Clear();
            return back;
        }
    }

    /// <summary>True if <paramref name="path"/>, or a directory above it, has a job in flight.</summary>
    public bool Touches(string path)
    {
        if (Pending.Count == 0) return false;
        if (Pending.Contains(path)) return true;
        for (int slash = path.IndexOf('/'); slash > 0; slash = path.IndexOf('/', slash + 1))
            if (Pending.Contains(path[..slash])) return true;
        return false;
    }

    private void Rethrow() => System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_failure!);

    private void Work()
    {
        while (true)
        {
            Job job;
            lock (_lock)
            {
                while (_queue.Count == 0 && !_stopping) Monitor.Wait(_lock);
                if (_queue.Count == 0) return;
                job = _queue.Dequeue();
            }
            bool keepFd = false;
            try { keepFd = Write(job); }
            catch (Exception e) { lock (_lock) _failure ??= e; }
            finally
            {
                if (!keepFd) { Libc.close(job.ParentFd); ArrayPool<byte>.Shared.Return(job.Data); }
                lock (_lock)
                {
                    if (keepFd) _handedBack.Add(job);
                    _inFlight--;
                    if (_inFlight == 0) Monitor.PulseAll(_lock);
                }
            }
        }
    }

    /// <summary>The process umask when this layer's unpacking began, from /proc (umask(2) cannot be read without being set).</summary>
    private readonly uint _umask = ReadUmask();

    private static uint ReadUmask()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("Umask:", StringComparison.Ordinal)) return Convert.ToUInt32(line[6..].Trim(), 8);
        return 0x1FF;   // unknown: every file gets its chmod
    }

    /// <summary>
    /// A mode that open(2) gives exactly: no setuid/setgid/sticky bit (chown would clear those, so
    /// they are set after it) and no bit the umask takes away. Such files skip the chmod: one
    /// system call less per file, on the slowest part of a pull.
    /// </summary>
    private bool CreatedExactly(uint mode) => (mode & 0xE00) == 0 && (mode & _umask) == 0;

    /// <summary>Writes the file; false when done, true when its name was taken (handed back, fd and buffer kept).</summary>
    private unsafe bool Write(Job job)
    {
        const int Flags = Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOFOLLOW | Libc.O_CLOEXEC;
        int fd = Libc.openat(job.ParentFd, job.Name, Flags, CreatedExactly(job.Mode) ? (int)job.Mode : 0x180);
        if (fd < 0)
        {
            if (FsOps.LastErrno == Errno.EEXIST) { job.NameTaken = true; return true; }
            FsOps.Throw("open", job.Path);
        }
        try { Finish(fd, job, createdWithMode: CreatedExactly(job.Mode)); }
        finally { Libc.close(fd); }
        return false;
    }

    /// <summary>Content, owner, mode (after chown, which clears setuid), xattrs, times: on the open file.</summary>
    public static unsafe void Finish(int fd, Job job, bool createdWithMode = false)
    {
        fixed (byte* p = job.Data) FsOps.WriteAll(fd, p, job.Length, job.Path);
        FsOps.Check(Libc.fchown(fd, job.Uid, job.Gid), "chown", job.Path);
        if (!createdWithMode) FsOps.Check(Libc.fchmod(fd, job.Mode), "chmod", job.Path);
        foreach (var (name, value) in job.Xattrs) FsOps.SetXattr(FsOps.XattrTarget.Of(fd), name, value, job.Path);
        FsOps.SetTimes(fd, job.Atime, job.Mtime, job.Path);
    }

    public static void Release(Job job)
    {
        Libc.close(job.ParentFd);
        ArrayPool<byte>.Shared.Return(job.Data);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _stopping = true;
            Monitor.PulseAll(_lock);
        }
        foreach (var t in _workers) t.Join();
        while (_queue.TryDequeue(out var job)) Release(job);
        foreach (var job in _handedBack) Release(job);
        _handedBack.Clear();
    }
}
