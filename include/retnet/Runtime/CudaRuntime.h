/*===- CudaRuntime.h - The mgpu* entry points of GPU host code -----*- C -*-===*
 *
 * MLIR's gpu-to-llvm lowering makes host code call mgpu* functions (module
 * load, kernel launch, streams, events, memory). retnet-mlir implements them
 * on the CUDA driver API, which is loaded lazily with dlopen: a library that
 * uses them loads on a machine without a GPU, and the first use fails with a
 * message instead of aborting. The mgpu* functions cannot return errors
 * through their signatures; they return null (or do nothing) and record the
 * first error of the calling thread, which retnet_cuda_take_error returns.
 *
 *===----------------------------------------------------------------------===*/

#ifndef RETNET_RUNTIME_CUDARUNTIME_H
#define RETNET_RUNTIME_CUDARUNTIME_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Initialises the driver and device 0 if needed. Returns 0 when a CUDA
 * device is usable, else non-zero with the reason in *error (release it with
 * free) when error is not NULL. */
int retnet_cuda_init(char **error);

/* The first error recorded on this thread since the last call, or NULL;
 * the caller releases it with free. */
char *retnet_cuda_take_error(void);

void *mgpuModuleLoad(void *data, size_t size);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedMemoryBytes, void *stream,
                      void **params, void **extra, size_t paramsCount);
void *mgpuStreamCreate(void);
void mgpuStreamDestroy(void *stream);
void mgpuStreamSynchronize(void *stream);
void mgpuStreamWaitEvent(void *stream, void *event);
void *mgpuEventCreate(void);
void mgpuEventDestroy(void *event);
void mgpuEventSynchronize(void *event);
void mgpuEventRecord(void *event, void *stream);
void *mgpuMemAlloc(uint64_t bytes, void *stream, bool isHostShared);
void mgpuMemFree(void *pointer, void *stream);
void mgpuMemcpy(void *destination, void *source, size_t bytes, void *stream);
void mgpuMemset32(void *destination, unsigned int value, size_t count,
                  void *stream);
void mgpuMemset16(void *destination, unsigned short value, size_t count,
                  void *stream);

#ifdef __cplusplus
}
#endif

#endif /* RETNET_RUNTIME_CUDARUNTIME_H */
