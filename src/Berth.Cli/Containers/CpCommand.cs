using System.CommandLine;
using System.IO.Pipelines;
using Berth.Cli.Engine;
using Berth.Cli.Formatting;
using Berth.Engine.Containers;
using Berth.Engine.Copy;
using Berth.Linux;

namespace Berth.Cli.Containers;

/// <summary>
/// docker cp [-a] [-L] [-q] CONTAINER:SRC DEST|- and docker cp SRC|- CONTAINER:DEST: the client
/// half of docker's copy (which end is where, how the archive is named) over the engine's stat,
/// archive and extract. "-" is a tar on stdout or stdin.
/// </summary>
public static class CpCommand
{
    public static Command Build()
    {
        var source = new Argument<string>("SRC_PATH");
        var destination = new Argument<string>("DEST_PATH");
        var follow = new Option<bool>("--follow-link", "-L") { Description = "Always follow symlinks in SRC_PATH" };
        var archive = new Option<bool>("--archive", "-a") { Description = "Archive mode (copy all uid/gid information)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached" };
        var c = new Command("cp", "Copy files/folders between a container and the local filesystem") { source, destination, follow, archive, quiet };
        c.SetAction(p => EngineCli.Guard(() =>
        {
            string src = p.GetValue(source) ?? "", dst = p.GetValue(destination) ?? "";
            if (src.Length == 0) throw new CopyException("source can not be empty");
            if (dst.Length == 0) throw new CopyException("destination can not be empty");
            var (srcContainer, srcPath) = CopyPaths.SplitCpArg(src);
            var (dstContainer, dstPath) = CopyPaths.SplitCpArg(dst);
            // docker: progress only on a terminal, unless -q was given either way.
            bool silent = p.GetResult(quiet) is { Implicit: false } ? p.GetValue(quiet) : Console.IsOutputRedirected;
            var engine = ContainerCli.Engine(p);
            return (srcContainer, dstContainer) switch
            {
                ({ } container, null) => FromContainer(engine, container, srcPath, dstPath, p.GetValue(follow), silent),
                (null, { } container) => ToContainer(engine, container, srcPath, dstPath, p.GetValue(follow), p.GetValue(archive), silent),
                (not null, not null) => throw new CopyException("copying between containers is not supported"),
                _ => throw new CopyException("must specify at least one container source"),
            };
        }));
        return c;
    }

    private static int FromContainer(ContainerEngine engine, string container, string srcPath, string dstPath, bool followLink, bool silent)
    {
        if (dstPath != "-") dstPath = HostCopy.LocalPath(dstPath);
        HostCopy.ValidateOutputPath(dstPath);
        string? rebaseName = null;
        if (followLink)
        {
            try
            {
                var stat = engine.StatPath(container, srcPath);
                if (stat.IsSymlink) (srcPath, rebaseName) = CopyPaths.GetRebaseName(srcPath, stat.LinkTarget);
            }
            catch (ContainerException) { }   // as docker: the archive request reports it
        }
        using var archive = engine.ArchivePath(container, srcPath);
        if (dstPath == "-")
        {
            using var stdout = Console.OpenStandardOutput();
            archive.WriteTo(stdout);
            return 0;
        }
        var source = new CopyInfo(srcPath, Exists: true, IsDir: archive.Stat.IsDir, RebaseName: rebaseName);
        long transferred = Stream(output => archive.WriteTo(output), tar => HostCopy.CopyTo(tar, source, archive.RootName, dstPath));
        if (!silent) Summary(archive.Stat.IsDir ? transferred : archive.Stat.Size, transferred, dstPath);
        return 0;
    }

    private static int ToContainer(ContainerEngine engine, string container, string srcPath, string dstPath, bool followLink, bool copyUidGid, bool silent)
    {
        if (srcPath != "-") srcPath = HostCopy.LocalPath(srcPath);
        // What is at the destination decides how the archive is named; a stat that fails means "not there".
        var dest = new CopyInfo(dstPath);
        try
        {
            var stat = engine.StatPath(container, dstPath);
            if (stat.IsSymlink)
            {
                dest = dest with { Path = stat.LinkTarget };
                stat = engine.StatPath(container, stat.LinkTarget);
            }
            uint type = stat.Mode & Libc.S_IFMT;
            if (type is not (Libc.S_IFDIR or Libc.S_IFREG or Libc.S_IFLNK))
                throw new CopyException($"destination \"{container}:{dstPath}\" must be a directory or a regular file: "
                    + (type is Libc.S_IFCHR or Libc.S_IFBLK ? "got a device" : "got an irregular file"));
            dest = dest with { Exists = true, IsDir = stat.IsDir };
        }
        catch (ContainerException) { }

        if (srcPath == "-")
        {
            if (!dest.IsDir) throw new CopyException($"destination \"{container}:{dstPath}\" must be a directory");
            using var stdin = Console.OpenStandardInput();
            engine.ExtractToDir(container, dest.Path, stdin, copyUidGid);
            return 0;
        }
        var source = HostCopy.SourceInfo(srcPath, followLink);
        var (destDir, rootName) = CopyPaths.PrepareArchiveCopy(source, dest);
        string archiveRoot = rootName ?? source.RebaseName ?? CopyPaths.ArchiveRootName(source.Path);
        long content = 0;
        long transferred = Stream(output => content = HostCopy.WriteArchive(source, archiveRoot, output),
            tar => engine.ExtractToDir(container, destDir, tar, copyUidGid));
        if (!silent) Summary(content, transferred, container + ":" + dest.Path);
        return 0;
    }

    /// <summary>
    /// Runs the writer of an archive on another thread and its reader here, joined by a pipe (the
    /// archive is never held whole). Returns the bytes that went through.
    /// </summary>
    private static long Stream(Action<Stream> write, Action<Stream> read)
    {
        var pipe = new Pipe();
        var writer = Task.Run(() =>
        {
            try
            {
                using (var output = pipe.Writer.AsStream(leaveOpen: true)) write(output);
                pipe.Writer.Complete();
            }
            catch (Exception e) { pipe.Writer.Complete(e); }
        });
        using var input = new CountingStream(pipe.Reader.AsStream(leaveOpen: true));
        try
        {
            read(input);
            // What follows the archive's end (the writer's padding) is drained, so the writer can finish.
            input.CopyTo(System.IO.Stream.Null);
        }
        finally
        {
            // A reader that stopped early (an error) stops the writer too: its next flush throws.
            pipe.Writer.CancelPendingFlush();
            pipe.Reader.Complete();
            writer.Wait();
        }
        return input.Count;
    }

    private static void Summary(long content, long transferred, string destination) =>
        Console.Error.WriteLine(content == transferred
            ? $"Successfully copied {Human.Size(content)} to {destination}"
            : $"Successfully copied {Human.Size(content)} (transferred {Human.Size(transferred)}) to {destination}");

    private sealed class CountingStream(Stream inner) : System.IO.Stream
    {
        public long Count { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Count; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            Count += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
