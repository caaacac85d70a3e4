/* SPDX-License-Identifier: MIT */
/*
 * A reader-writer semaphore that can be downgraded, for mmap_lock.
 *
 * munmap holds mmap_lock for write while it zaps, then downgrades to read
 * for the table freeing, whose sync can sleep for a grace period
 * (mm/memory.c says why that is safe).  pthread_rwlock_t has no downgrade:
 * unlocking the write side and then taking the read side leaves a window
 * in which a writer gets in and changes the tables the freeing is about to
 * look at.  So this is a small semaphore of our own, with the kernel's
 * names (kernel/locking/rwsem.c there, kernel/rwsem.c here): a mutex and
 * two condition variables around a writer flag and a reader count.
 * downgrade_write() turns the writer into a reader inside one critical
 * section of the mutex, so the semaphore is never free in between.
 *
 * Writers are not starved: once a writer waits, new readers queue behind
 * it.  The mutex orders everything a holder did before its up_*() before
 * everything the next holder does after its down_*().
 *
 * Callers that may sleep on it are the mmap_lock wrappers (kernel/fork.c),
 * which make the sleep an RCU quiescent state, as a context switch is.
 */
#ifndef PTSYNC_RWSEM_H
#define PTSYNC_RWSEM_H

#include <pthread.h>
#include <stdbool.h>

struct rw_semaphore {
	pthread_mutex_t wait_lock;
	pthread_cond_t read_wait;	/* readers: no writer, none waiting */
	pthread_cond_t write_wait;	/* writers: nobody holds it */
	int readers;			/* read holders */
	int writers_waiting;
	bool writer;			/* held for write */
};

void init_rwsem(struct rw_semaphore *sem);
void rwsem_destroy(struct rw_semaphore *sem);	/* userspace only */

void down_read(struct rw_semaphore *sem);
int down_read_trylock(struct rw_semaphore *sem);	/* 1: taken */
void up_read(struct rw_semaphore *sem);

void down_write(struct rw_semaphore *sem);
int down_write_trylock(struct rw_semaphore *sem);	/* 1: taken */
void up_write(struct rw_semaphore *sem);

/* Held for write -> held for read, with no writer admitted in between. */
void downgrade_write(struct rw_semaphore *sem);

#endif /* PTSYNC_RWSEM_H */
