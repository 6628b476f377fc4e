/* Tests for TURN REST credentials against values computed independently
 * (Python's hmac and base64 modules). */
#include "check.h"
#include "focus/turn_credentials.h"

#include <string.h>

int main(void)
{
    char user[TURN_USERNAME_MAX], pass[TURN_PASSWORD_MAX];
    CHECK_EQ_INT(turn_credentials("north-wind-secret", "6f1c09ab", 1795600000, user, pass), 0);
    CHECK_EQ_STR(user, "1795600000:6f1c09ab");
    CHECK_EQ_STR(pass, "CytEkdSJkp5qt67+rJbB3QnChIE=");
    CHECK_EQ_INT(turn_credentials("k", "x", 0, user, pass), 0);
    CHECK_EQ_STR(user, "0:x");
    CHECK_EQ_STR(pass, "sYP7R3irr9nuvy+leeMBAAdv+tc=");
    /* Another secret, another password. */
    CHECK_EQ_INT(turn_credentials("other", "6f1c09ab", 1795600000, user, pass), 0);
    CHECK(strcmp(pass, "CytEkdSJkp5qt67+rJbB3QnChIE=") != 0);
    char long_user[200];
    memset(long_user, 'a', sizeof long_user - 1);
    long_user[sizeof long_user - 1] = '\0';
    CHECK_EQ_INT(turn_credentials("k", long_user, 1, user, pass), -1);
    return check_report("turn_credentials");
}
