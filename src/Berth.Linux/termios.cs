using System.Runtime.InteropServices;

namespace Berth.Linux;

// <termios.h> and the tty ioctls: raw mode for an attached terminal, and window sizes.
public static partial class Libc
{
    private const int TCSANOW = 0;
    private const ulong TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414;

    [StructLayout(LayoutKind.Sequential, Size = 60)]
    public struct Termios
    {
        public uint c_iflag, c_oflag, c_cflag, c_lflag;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct WinSize
    {
        public ushort Rows, Cols, XPixel, YPixel;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int isatty(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int tcgetattr(int fd, out Termios termios);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int tcsetattr(int fd, int action, in Termios termios);

    [LibraryImport("libc")]
    public static partial void cfmakeraw(ref Termios termios);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int ioctl_winsize(int fd, ulong request, ref WinSize size);

    /// <summary>Puts a terminal in raw mode; returns the settings to restore, or null if fd is no terminal.</summary>
    public static Termios? MakeRaw(int fd)
    {
        if (isatty(fd) != 1 || tcgetattr(fd, out var saved) < 0) return null;
        var raw = saved;
        cfmakeraw(ref raw);
        tcsetattr(fd, TCSANOW, raw);
        return saved;
    }

    public static void Restore(int fd, Termios saved) => tcsetattr(fd, TCSANOW, saved);

    public static bool TryGetWindowSize(int fd, out WinSize size)
    {
        size = default;
        return ioctl_winsize(fd, TIOCGWINSZ, ref size) == 0;
    }

    public static void SetWindowSize(int fd, WinSize size) => ioctl_winsize(fd, TIOCSWINSZ, ref size);
}
