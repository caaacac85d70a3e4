// SPDX-License-Identifier: MIT
/*
 * Reader-writer semaphores with downgrade (include/ptsync/rwsem.h says
 * why ptsync has its own).  Every field is read and written under
 * wait_lock only, so the mutex is the one ordering point: it is what
 * makes a holder's work visible to the next holder.
 *
 * Misuse is a bug in the model, and fatal: releasing what is not held,
 * or downgrading a semaphore not held for write.
 */
#include "ptsync/rwsem.h"
#include "ptsync/util.h"

void init_rwsem(struct rw_semaphore *sem)
{
	pthread_mutex_init(&sem->wait_lock, NULL);
	pthread_cond_init(&sem->read_wait, NULL);
	pthread_cond_init(&sem->write_wait, NULL);
	sem->readers = 0;
	sem->writers_waiting = 0;
	sem->writer = false;
}

void rwsem_destroy(struct rw_semaphore *sem)
{
	if (sem->readers || sem->writer || sem->writers_waiting)
		ptsync_die("BUG: rwsem destroyed while in use (readers %d, writer %d)",
			   sem->readers, sem->writer);
	pthread_cond_destroy(&sem->write_wait);
	pthread_cond_destroy(&sem->read_wait);
	pthread_mutex_destroy(&sem->wait_lock);
}

/* Readers wait for the writer, and behind any writer already waiting. */
static bool read_blocked(const struct rw_semaphore *sem)
{
	return sem->writer || sem->writers_waiting;
}

void down_read(struct rw_semaphore *sem)
{
	pthread_mutex_lock(&sem->wait_lock);
	while (read_blocked(sem))
		pthread_cond_wait(&sem->read_wait, &sem->wait_lock);
	sem->readers++;
	pthread_mutex_unlock(&sem->wait_lock);
}

int down_read_trylock(struct rw_semaphore *sem)
{
	int taken;

	pthread_mutex_lock(&sem->wait_lock);
	taken = !read_blocked(sem);
	if (taken)
		sem->readers++;
	pthread_mutex_unlock(&sem->wait_lock);
	return taken;
}

void up_read(struct rw_semaphore *sem)
{
	pthread_mutex_lock(&sem->wait_lock);
	if (sem->readers <= 0 || sem->writer)
		ptsync_die("BUG: up_read() on an rwsem not held for read");
	if (--sem->readers == 0 && sem->writers_waiting)
		pthread_cond_signal(&sem->write_wait);
	pthread_mutex_unlock(&sem->wait_lock);
}

void down_write(struct rw_semaphore *sem)
{
	pthread_mutex_lock(&sem->wait_lock);
	sem->writers_waiting++;
	while (sem->writer || sem->readers)
		pthread_cond_wait(&sem->write_wait, &sem->wait_lock);
	sem->writers_waiting--;
	sem->writer = true;
	pthread_mutex_unlock(&sem->wait_lock);
}

int down_write_trylock(struct rw_semaphore *sem)
{
	int taken;

	pthread_mutex_lock(&sem->wait_lock);
	taken = !sem->writer && !sem->readers;
	if (taken)
		sem->writer = true;
	pthread_mutex_unlock(&sem->wait_lock);
	return taken;
}

/* The semaphore is free: the next writer if one waits, else every reader. */
static void rwsem_wake(struct rw_semaphore *sem)
{
	if (sem->writers_waiting)
		pthread_cond_signal(&sem->write_wait);
	else
		pthread_cond_broadcast(&sem->read_wait);
}

void up_write(struct rw_semaphore *sem)
{
	pthread_mutex_lock(&sem->wait_lock);
	if (!sem->writer)
		ptsync_die("BUG: up_write() on an rwsem not held for write");
	sem->writer = false;
	rwsem_wake(sem);
	pthread_mutex_unlock(&sem->wait_lock);
}

void downgrade_write(struct rw_semaphore *sem)
{
	pthread_mutex_lock(&sem->wait_lock);
	if (!sem->writer || sem->readers)
		ptsync_die("BUG: downgrade_write() on an rwsem not held for write");
	/* One step under wait_lock: never free, so no writer gets in. */
	sem->writer = false;
	sem->readers = 1;
	/* Readers already waiting may join us, unless a writer waits:
	 * read_blocked() keeps them queued behind it. */
	pthread_cond_broadcast(&sem->read_wait);
	pthread_mutex_unlock(&sem->wait_lock);
}
