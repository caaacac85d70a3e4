// SPDX-License-Identifier: MIT
/* placeholder, replaced below */
#include "scale_cmd.h"
int cmd_recommend(int argc, char **argv)
{
	(void)argc; (void)argv;
	return 0;
}
