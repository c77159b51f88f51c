/*
 * string.h — the C string/memory routines the kernel provides for itself.
 * The kernel has no libc; on the host these are libc's own.
 */
#ifndef COOP_KERNEL_STRING_H
#define COOP_KERNEL_STRING_H

#include <stddef.h>

#ifdef COOP_HOST
#include <string.h>
#else
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strncpy(char *dst, const char *src, size_t n);
char *strchr(const char *s, int c);
#endif

#endif
