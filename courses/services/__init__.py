"""Operations that change courses, manuals and enrolments; views call these, never the models."""
