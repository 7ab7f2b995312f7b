using System.Runtime.InteropServices;

namespace Mosaic.Index.Storage;

/// <summary>Native allocations that ask Linux for transparent huge pages.</summary>
/// <remarks>
/// HNSW search is a chain of dependent random reads over the whole graph, so TLB misses matter: native hnswlib went
/// from 6.6k to 9-10k QPS (200k x 128) once its memory sat on 2 MiB pages (../shared/bench/README.md). THP runs in
/// "madvise" mode on our machines, so a 2 MiB-aligned block must be marked with madvise(MADV_HUGEPAGE) before it is
/// first touched. Blocks under 2 MiB are not marked: a huge page would commit memory the block never uses.
/// </remarks>
internal static unsafe partial class HugePages
{
    public const nuint HugePageBytes = 2 << 20;
    private const int MadvHugePage = 14;

    /// <summary>Allocates <paramref name="bytes"/> (uninitialized): 2 MiB aligned and marked for huge pages when at least 2 MiB, else 64-byte aligned.</summary>
    public static void* Allocate(nuint bytes, out nuint allocatedBytes)
    {
        if (bytes >= HugePageBytes)
        {
            allocatedBytes = (bytes + HugePageBytes - 1) & ~(HugePageBytes - 1);
            void* p = NativeMemory.AlignedAlloc(allocatedBytes, HugePageBytes);
            if (OperatingSystem.IsLinux())
            {
                // Best effort: where THP is off this fails and the block simply uses 4 KiB pages.
                _ = Madvise(p, allocatedBytes, MadvHugePage);
            }

            return p;
        }

        allocatedBytes = (bytes + 63) & ~(nuint)63;
        return NativeMemory.AlignedAlloc(allocatedBytes, 64);
    }

    public static void Free(void* p) => NativeMemory.AlignedFree(p);

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}
